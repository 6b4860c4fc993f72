import type { NodeId } from '../core/types.js';

/**
 * Majority arithmetic over one set of voters. The core never uses joint consensus (membership
 * changes are single-server), so one majority rule covers commit, elections, check-quorum and
 * ReadIndex rounds.
 */

/** The smallest number of voters that forms a majority. */
export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The largest value v such that a majority of voters report at least v: with match indexes this
 * is the highest index stored on a majority. Voters without a value count as 0. An empty voter
 * set has no majority and yields 0.
 */
export function majorityValue(voters: readonly NodeId[], valueOf: (id: NodeId) => number | undefined): number {
  if (voters.length === 0) return 0;
  const values = voters.map((id) => valueOf(id) ?? 0).sort((a, b) => b - a);
  return values[quorumSize(voters.length) - 1] ?? 0;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** Tallies votes (true granted, false rejected) cast by voters; others' votes do not count. */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.length === 0) return 'lost';
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const quorum = quorumSize(voters.length);
  if (granted >= quorum) return 'won';
  if (voters.length - rejected < quorum) return 'lost';
  return 'pending';
}

/** Whether the given set of nodes contains a majority of the voters. */
export function hasQuorum(voters: readonly NodeId[], isIn: (id: NodeId) => boolean): boolean {
  if (voters.length === 0) return false;
  let count = 0;
  for (const id of voters) if (isIn(id)) count++;
  return count >= quorumSize(voters.length);
}
