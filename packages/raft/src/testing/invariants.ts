import type { RaftNodeView } from '../core/raft-node.js';
import type { Entry, NodeId } from '../core/types.js';
import type { ApplyObserver } from './sim-state-machine.js';
import type { StoreObserver } from './sim-log-store.js';

/** A broken invariant: the simulator stops and prints it with the seed. */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';

  constructor(
    readonly invariant: string,
    message: string,
  ) {
    super(`${invariant}: ${message}`);
  }
}

interface CommittedEntry {
  readonly term: number;
  readonly key: string;
  /** The lowest term in which a node was seen holding this index as committed. */
  commitTerm: number;
}

interface NodeTrack {
  /** The commit index last seen in this incarnation. */
  commit: number;
  /** The highest index this node's state machine ever applied (across incarnations). */
  appliedMax: number;
  /** The index the state machine of this incarnation applied last. */
  applied: number;
  wasLeaderInTerm: number;
}

/**
 * Raft's safety properties, checked as the simulation runs:
 * - Election safety: at most one leader per term.
 * - Log matching: two logs holding an entry with the same index and term hold the same entry
 *   and the same preceding term (checked on every write to every node's store).
 * - Leader completeness: a leader of term T holds every entry committed in a term below T.
 * - State machine safety: every node applies the same entry at each index, in index order,
 *   only once committed, and equal indexes carry equal state (hash chain, snapshots included).
 * - Durability: an entry once committed never changes; acknowledged proposals stay in the
 *   committed log; a node's commit index never goes back, and after a restart it covers what
 *   the node applied before the crash.
 * - Linearizable reads: a read index covers every proposal acknowledged before the read began.
 */
export class InvariantChecker implements StoreObserver, ApplyObserver {
  private readonly leaders = new Map<number, NodeId>();
  private readonly written = new Map<string, { readonly key: string; readonly prevTerm: number }>();
  private readonly committed = new Map<number, CommittedEntry>();
  private readonly hashes = new Map<number, number>();
  private readonly nodes = new Map<NodeId, NodeTrack>();
  private readonly acked = new Map<number, { index: number; term: number }>();
  private ackedIndexMax = 0;
  committedIndexMax = 0;

  // ---------------------------------------------------------------------------------------
  // Hooks

  onAppend(nodeId: NodeId, entry: Entry, prevTerm: number): void {
    const id = `${entry.index}/${entry.term}`;
    const key = entryKey(entry);
    const seen = this.written.get(id);
    if (seen === undefined) {
      this.written.set(id, { key, prevTerm });
      return;
    }
    if (seen.key !== key) fail('log matching', `node ${nodeId} wrote a different entry at index ${entry.index} term ${entry.term}`);
    if (seen.prevTerm !== prevTerm) {
      fail('log matching', `node ${nodeId} wrote entry ${entry.index}/${entry.term} after term ${prevTerm}, another log has it after term ${seen.prevTerm}`);
    }
  }

  onApply(nodeId: NodeId, entry: Entry, previousIndex: number, hash: number): void {
    const track = this.track(nodeId);
    if (entry.index !== previousIndex + 1) fail('state machine safety', `node ${nodeId} applied ${entry.index} right after ${previousIndex}`);
    this.noteCommitted(nodeId, entry.index, entry.term, entryKey(entry), Number.POSITIVE_INFINITY);
    const known = this.hashes.get(entry.index);
    if (known === undefined) this.hashes.set(entry.index, hash);
    else if (known !== hash) fail('state machine safety', `node ${nodeId} reached a different state at index ${entry.index}`);
    track.applied = entry.index;
    track.appliedMax = Math.max(track.appliedMax, entry.index);
  }

  onRestore(nodeId: NodeId, index: number, hash: number): void {
    const known = this.hashes.get(index);
    if (known === undefined) fail('state machine safety', `node ${nodeId} restored a snapshot at ${index} that no node applied up to`);
    if (known !== hash) fail('state machine safety', `node ${nodeId} restored a snapshot at ${index} with a different state`);
    const track = this.track(nodeId);
    track.applied = index;
    track.appliedMax = Math.max(track.appliedMax, index);
  }

  /** A node started (again) from its durable state. */
  onStart(nodeId: NodeId, durableCommit: number): void {
    const track = this.track(nodeId);
    if (durableCommit < track.appliedMax) {
      fail('durability', `node ${nodeId} restarted with commit ${durableCommit} below the ${track.appliedMax} it had applied`);
    }
    track.commit = durableCommit;
    track.applied = 0;
    track.wasLeaderInTerm = 0;
  }

  /** A proposal was acknowledged to its client as committed at (index, term). */
  onAck(proposalId: number, index: number, term: number): void {
    this.acked.set(proposalId, { index, term });
    this.ackedIndexMax = Math.max(this.ackedIndexMax, index);
    const committed = this.committed.get(index);
    if (committed === undefined) fail('durability', `proposal ${proposalId} acknowledged at ${index} before any node applied it`);
    if (committed.term !== term) fail('durability', `proposal ${proposalId} acknowledged at ${index}/${term} but ${index} holds term ${committed.term}`);
  }

  /** A read starts: returns what it must observe. */
  onReadStart(): number {
    return this.ackedIndexMax;
  }

  onReadDone(nodeId: NodeId, mustCover: number, index: number, applied: number): void {
    if (index < mustCover) fail('linearizable read', `node ${nodeId} served read index ${index}, below ${mustCover} acknowledged before the read began`);
    if (applied < index) fail('linearizable read', `node ${nodeId} answered read index ${index} having applied only ${applied}`);
  }

  /** Checks every running node after a simulator event. */
  afterEvent(nodes: ReadonlyMap<NodeId, RaftNodeView>): void {
    for (const [nodeId, raft] of nodes) {
      const track = this.track(nodeId);
      const term = raft.currentTerm;
      if (raft.isLeader) {
        const leader = this.leaders.get(term);
        if (leader === undefined) this.leaders.set(term, nodeId);
        else if (leader !== nodeId) fail('election safety', `nodes ${leader} and ${nodeId} both lead term ${term}`);
        if (track.wasLeaderInTerm !== term) {
          track.wasLeaderInTerm = term;
          this.checkLeaderCompleteness(nodeId, raft);
        }
      }
      const commit = raft.commitIndex;
      if (commit < track.commit) fail('durability', `node ${nodeId} commit went back from ${track.commit} to ${commit}`);
      if (commit > raft.lastIndex) fail('durability', `node ${nodeId} commit ${commit} is beyond its last index ${raft.lastIndex}`);
      for (let index = Math.max(track.commit + 1, raft.firstIndex); index <= commit; index++) {
        const entryTerm = raft.termAt(index);
        if (entryTerm === undefined) continue;
        const [entry] = raft.entries(index, index);
        if (entry !== undefined) this.noteCommitted(nodeId, index, entryTerm, entryKey(entry), term);
      }
      track.commit = commit;
    }
  }

  /** At the end: every acknowledged proposal is still in the committed log. */
  checkAcknowledged(): void {
    for (const [proposalId, { index, term }] of this.acked) {
      const committed = this.committed.get(index);
      if (committed?.term !== term) fail('durability', `acknowledged proposal ${proposalId} at ${index}/${term} is not in the committed log`);
    }
  }

  get acknowledgedCount(): number {
    return this.acked.size;
  }

  get leaderTerms(): number {
    return this.leaders.size;
  }

  // ---------------------------------------------------------------------------------------

  private noteCommitted(nodeId: NodeId, index: number, term: number, key: string, inTerm: number): void {
    const known = this.committed.get(index);
    if (known === undefined) {
      this.committed.set(index, { term, key, commitTerm: inTerm });
      this.committedIndexMax = Math.max(this.committedIndexMax, index);
      return;
    }
    if (known.term !== term || known.key !== key) {
      fail('state machine safety', `node ${nodeId} holds ${index}/${term} as committed, but ${index}/${known.term} was committed before`);
    }
    known.commitTerm = Math.min(known.commitTerm, inTerm);
  }

  private checkLeaderCompleteness(nodeId: NodeId, raft: RaftNodeView): void {
    const term = raft.currentTerm;
    for (const [index, committed] of this.committed) {
      if (committed.commitTerm >= term) continue;
      if (index > raft.lastIndex) fail('leader completeness', `leader ${nodeId} of term ${term} lacks entry ${index} committed in term ${committed.commitTerm}`);
      const held = raft.termAt(index);
      // Below the leader's snapshot: covered by it, and snapshots hold committed state only.
      if (held !== undefined && held !== committed.term) {
        fail('leader completeness', `leader ${nodeId} of term ${term} holds ${index}/${held}, but ${index}/${committed.term} was committed`);
      }
    }
  }

  private track(nodeId: NodeId): NodeTrack {
    let track = this.nodes.get(nodeId);
    if (track === undefined) {
      track = { commit: 0, appliedMax: 0, applied: 0, wasLeaderInTerm: 0 };
      this.nodes.set(nodeId, track);
    }
    return track;
  }
}

function fail(invariant: string, message: string): never {
  throw new InvariantViolation(invariant, message);
}

function entryKey(entry: Entry): string {
  let key = entry.kind;
  for (const byte of entry.data) key += String.fromCharCode(byte + 48);
  return key;
}
