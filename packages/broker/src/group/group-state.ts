import { assert } from '@eddy/base';

/**
 * The states of a consumer group on its coordinator (Kafka's classic group protocol):
 * - Empty: no members (a new group, or one whose members all left); offsets may remain.
 * - PreparingRebalance: the join phase; the coordinator waits for every member to (re)join.
 * - CompletingRebalance: the new generation is formed; the coordinator waits for the leader's
 *   SyncGroup with the assignment.
 * - Stable: every member has (or can fetch) its assignment; heartbeats keep it stable.
 * - Dead: deleted, or moved to another coordinator; nothing happens to it any more.
 */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/**
 * Every legal transition, and why it happens. Anything else is a bug and fails an assertion.
 *
 * | from                | to                  | when                                                          |
 * |---------------------|---------------------|---------------------------------------------------------------|
 * | Empty               | PreparingRebalance  | the first member joins                                        |
 * | Empty               | Dead                | the group is deleted, or its coordinator moves                |
 * | PreparingRebalance  | CompletingRebalance | the join phase ends with members (all rejoined, or timeout)   |
 * | PreparingRebalance  | Empty               | the join phase ends with no members left                      |
 * | PreparingRebalance  | Dead                | its coordinator moves                                         |
 * | CompletingRebalance | Stable              | the leader's assignment is persisted                          |
 * | CompletingRebalance | PreparingRebalance  | a join, leave, expiry or trigger before the assignment landed |
 * | CompletingRebalance | Dead                | its coordinator moves                                         |
 * | Stable              | PreparingRebalance  | a join with new metadata, the leader rejoins, a member leaves |
 * |                     |                     | or expires, or an external trigger (partitions changed)       |
 * | Stable              | Dead                | its coordinator moves                                         |
 */
export const GROUP_STATE_TRANSITIONS: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Empty: ['PreparingRebalance', 'Dead'],
  PreparingRebalance: ['CompletingRebalance', 'Empty', 'Dead'],
  CompletingRebalance: ['Stable', 'PreparingRebalance', 'Dead'],
  Stable: ['PreparingRebalance', 'Dead'],
  Dead: [],
};

export function canTransition(from: GroupState, to: GroupState): boolean {
  return GROUP_STATE_TRANSITIONS[from].includes(to);
}

/** Fails (a bug in the coordinator) unless `from → to` is in the table. */
export function assertTransition(groupId: string, from: GroupState, to: GroupState): void {
  assert(canTransition(from, to), `group ${groupId}: illegal transition ${from} → ${to}`);
}
