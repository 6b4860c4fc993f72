import { assert } from '@eddy/base';
import { emptyMembership, encodeMembershipEntry, normalizeMembership } from './membership.js';
import { type Membership, NO_NODE, type PersistedState } from './types.js';

/**
 * The state of a node with no data at all: term 0, an empty log and no membership. It never
 * campaigns; it waits for a leader to add it and send it the log (or a snapshot).
 */
export function emptyState(): PersistedState {
  return {
    hardState: { term: 0, vote: NO_NODE, commit: 0 },
    snapshot: { meta: { index: 0, term: 0, membership: emptyMembership }, data: new Uint8Array(0) },
    entries: [],
  };
}

/**
 * The first state of every voter of a new cluster: entry 1 (term 1, committed) records the
 * initial membership, as if an earlier leader had committed it. Every initial voter must be
 * bootstrapped with the same membership, or their logs disagree at index 1; nodes added later
 * start from `emptyState()` and receive entry 1 from the leader.
 */
export function bootstrapState(membership: Membership): PersistedState {
  const initial = normalizeMembership(membership);
  assert(initial.voters.length > 0, 'a cluster starts with at least one voter');
  return {
    hardState: { term: 1, vote: NO_NODE, commit: 1 },
    snapshot: emptyState().snapshot,
    entries: [{ index: 1, term: 1, kind: 'membership', data: encodeMembershipEntry({ change: undefined, membership: initial }) }],
  };
}
