import { assert, type Logger, type Prng, silentLogger, unreachable } from '@eddy/base';
import { type RaftConfig, raftConfig } from '../config.js';
import { raftLimits } from '../limits.js';
import { voteResult } from '../quorum/majority.js';
import type { Progress, ProgressState } from '../tracker/progress.js';
import { ProgressTracker } from '../tracker/progress-tracker.js';
import {
  applyConfChange,
  assertValidMembership,
  describeMembership,
  encodeMembershipEntry,
  isValidNodeId,
  isVoter,
  membersOf,
  normalizeMembership,
  sameMembership,
} from './membership.js';
import { isLeaderMessage, type AppendRequest, type HeartbeatRequest, type InstallSnapshotRequest, type Message, type VoteRequest } from './messages.js';
import { RaftLog } from './raft-log.js';
import { type PendingRead, ReadIndexQueue } from './read-index-queue.js';
import type { Ready } from './ready.js';
import { SnapshotReceiver } from './snapshot-receiver.js';
import {
  NO_NODE,
  type ConfChange,
  type Entry,
  type HardState,
  type Membership,
  type NodeId,
  type PersistedState,
  type ProposeResult,
  type ReadState,
  type Refusal,
  type RefusalReason,
  type RequestResult,
  type RoleName,
  type Snapshot,
  type SoftState,
} from './types.js';
import { messageProblem } from './validate-message.js';

export interface RaftNodeOptions {
  readonly id: NodeId;
  /** Durable state as loaded from storage (see `bootstrapState` for a new cluster). */
  readonly state: PersistedState;
  /** The source of election jitter; a seed replays every choice. */
  readonly prng: Prng;
  readonly config?: RaftConfig;
  readonly logger?: Logger;
  /** The last index the state machine already holds (default: the snapshot's index). */
  readonly applied?: number;
}

interface LeaderState {
  readonly tracker: ProgressTracker;
  /** The no-op this leader appended on election: the first index of its term. */
  readonly firstIndexOfTerm: number;
  transferee: NodeId | undefined;
  transferElapsed: number;
  /** Bytes of proposals appended in this term and not committed yet (backpressure). */
  uncommittedBytes: number;
  readonly reads: ReadIndexQueue;
  /** Appends, heartbeats or chunks may be due: flushed when the next Ready is built. */
  sendsPending: boolean;
  /**
   * Nodes a membership change removed, still sent the log (for at most the given ticks) until
   * they have the change and know it committed, so that they stop campaigning.
   */
  readonly departing: Map<NodeId, number>;
}

/** The node's role with the state that only exists in that role. */
type RoleState =
  | { readonly role: 'follower'; readonly leaderId: NodeId | undefined }
  | { readonly role: 'preCandidate'; readonly votes: Map<NodeId, boolean> }
  | { readonly role: 'candidate'; readonly votes: Map<NodeId, boolean> }
  | { readonly role: 'leader'; readonly leader: LeaderState };

type CampaignKind = 'preVote' | 'election' | 'transfer';

/** What the Ready handed out and not advanced yet carries. */
interface ReadyInFlight {
  readonly ready: Ready;
  readonly entriesLast: { readonly index: number; readonly term: number } | undefined;
  readonly applyTo: number;
}

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly role: RoleName;
  readonly leaderId: NodeId | undefined;
  readonly membership: Membership;
  /** The leader's view of each member (itself included); undefined on other roles. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus> | undefined;
}

/** The read-only face of a RaftNode, for inspection (status pages, tests, the simulator). */
export type RaftNodeView = Pick<
  RaftNode,
  'id' | 'isLeader' | 'currentTerm' | 'commitIndex' | 'appliedIndex' | 'firstIndex' | 'lastIndex' | 'termAt' | 'entries' | 'status' | 'leaderId' | 'membership'
>;

/**
 * One Raft participant as a pure state machine (Raft paper and thesis, with pre-vote,
 * check-quorum, leadership transfer, snapshots, ReadIndex and single-server membership
 * changes). Inputs are `tick`, `step` and the request methods; outputs are collected into a
 * `Ready`. It does no I/O and reads no clock: the same code runs under the driver and the
 * simulator.
 */
export class RaftNode {
  readonly id: NodeId;
  private readonly config: RaftConfig;
  private readonly prng: Prng;
  private readonly logger: Logger;
  private readonly log: RaftLog;

  private term: number;
  private vote: NodeId;
  private commit: number;
  private applied: number;
  private role: RoleState = { role: 'follower', leaderId: undefined };

  /** The latest snapshot, with its data (sent to lagging followers). */
  private snapshot: Snapshot;
  /**
   * The index the in-memory log should start after (the latest snapshot's). A leader keeps
   * the entries after a snapshot it is still sending, so the log may start earlier.
   */
  private compactWanted: number;
  /** The durable prefix of the log that matches memory: entries after it go in the next Ready. */
  private stableLast: number;
  /** The last index in storage (it may hold a conflicting suffix beyond stableLast). */
  private diskLast: number;
  private membershipSeen: Membership;

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;

  private outbox: Message[] = [];
  private readStates: ReadState[] = [];
  private pendingSnapshot: Snapshot | undefined = undefined;
  private pendingLocalSnapshot: Snapshot | undefined = undefined;
  private snapshotReceiver: SnapshotReceiver | undefined = undefined;
  private prevHardState: HardState;
  private prevSoftState: SoftState;
  private inFlight: ReadyInFlight | undefined = undefined;

  constructor(options: RaftNodeOptions) {
    assert(isValidNodeId(options.id), `invalid node id ${options.id}`);
    this.id = options.id;
    this.config = options.config ?? raftConfig();
    this.prng = options.prng;
    this.logger = (options.logger ?? silentLogger).child({ component: 'raft', nodeId: options.id });
    const { hardState, snapshot, entries } = options.state;
    assertValidMembership(snapshot.meta.membership);
    assert(entries.length === 0 || entries[0]?.index === snapshot.meta.index + 1, 'persisted entries must follow the snapshot');
    this.log = new RaftLog(snapshot.meta, entries);
    this.snapshot = snapshot;
    this.compactWanted = snapshot.meta.index;
    this.term = hardState.term;
    this.vote = hardState.vote;
    if (this.log.lastTerm > this.term) {
      // A crash kept entries of a new term but not the hard state written after them. The node
      // never answered anyone in that term (nothing is sent before the sync), so it adopts the
      // term with no vote cast.
      this.logger.warn({ term: this.term, lastLogTerm: this.log.lastTerm }, 'the log is ahead of the persisted term; adopting its term');
      this.term = this.log.lastTerm;
      this.vote = NO_NODE;
    }
    // A snapshot only holds committed state, and its write may have survived a crash that lost
    // the hard state written with it.
    this.commit = Math.max(hardState.commit, snapshot.meta.index);
    assert(this.commit <= this.log.lastIndex, `persisted commit ${this.commit} is beyond the log's last index ${this.log.lastIndex}`);
    this.applied = options.applied ?? snapshot.meta.index;
    assert(this.applied >= snapshot.meta.index && this.applied <= this.commit, `applied ${this.applied} outside [${snapshot.meta.index}, ${this.commit}]`);
    this.stableLast = this.log.lastIndex;
    this.diskLast = this.log.lastIndex;
    this.membershipSeen = this.log.membership();
    this.prevHardState = this.hardState();
    this.prevSoftState = this.softState();
    this.resetElectionTimer();
  }

  // ---------------------------------------------------------------------------------------
  // Inputs

  /** Advances logical time by one tick: election timeouts, heartbeats, check-quorum. */
  tick(): void {
    if (this.role.role === 'leader') this.tickLeader(this.role.leader);
    else this.tickElection();
  }

  /** Starts an election now (pre-vote first when enabled), as if the election timer fired. */
  campaign(): void {
    if (this.role.role === 'leader') return;
    this.startCampaign(this.config.preVote ? 'preVote' : 'election');
  }

  step(message: Message): void {
    const problem = messageProblem(message, this.id);
    if (problem !== undefined) {
      this.logger.warn({ type: message.type, from: message.from, problem }, 'dropping malformed raft message');
      return;
    }
    if (message.term > this.term) {
      if (message.type === 'voteRequest' && !message.transfer && this.isInLease()) {
        // A leader we heard from within an election timeout is alive: a node that asks for
        // votes now is partitioned or removed, and must not disrupt it (leader lease).
        return;
      }
      const keepsTerm = (message.type === 'voteRequest' && message.preVote) || (message.type === 'voteResponse' && message.preVote && message.granted);
      if (!keepsTerm) {
        // Raft's election timer restarts on hearing from a leader or granting a vote, not on
        // merely seeing a higher term: otherwise a node whose log cannot win, campaigning again
        // and again, would keep the node that could win from ever timing out.
        const leaderId = isLeaderMessage(message) ? message.from : undefined;
        this.becomeFollower(message.term, leaderId, leaderId !== undefined);
      }
    } else if (message.term < this.term) {
      this.onStaleMessage(message);
      return;
    }

    switch (message.type) {
      case 'voteRequest':
        this.onVoteRequest(message);
        return;
      case 'voteResponse':
        this.onVoteResponse(message.from, message.preVote, message.granted);
        return;
      case 'appendRequest':
      case 'heartbeatRequest':
      case 'installSnapshotRequest':
        this.followLeader(message.from);
        if (message.type === 'appendRequest') this.onAppendRequest(message);
        else if (message.type === 'heartbeatRequest') this.onHeartbeatRequest(message);
        else this.onSnapshotChunk(message);
        return;
      case 'timeoutNow':
        if (this.role.role === 'follower') {
          this.logger.info({ term: this.term, from: message.from }, 'campaigning for a leadership transfer');
          this.startCampaign('transfer');
        }
        return;
      case 'readIndexRequest':
        if (this.role.role === 'leader') this.leaderReadIndex(this.role.leader, message.context, message.from);
        return;
      case 'readIndexResponse':
        if (this.role.role === 'follower') this.readStates.push({ index: message.index, context: message.context });
        return;
      case 'appendResponse':
      case 'heartbeatResponse':
      case 'installSnapshotResponse':
        if (this.role.role === 'leader') this.onLeaderResponse(this.role.leader, message);
        return;
      default:
        unreachable(message, 'unknown raft message');
    }
  }

  /** Appends an application entry (leader only). */
  propose(data: Uint8Array): ProposeResult {
    if (this.role.role !== 'leader') return this.refuse('notLeader', 'not the leader');
    const leader = this.role.leader;
    if (leader.transferee !== undefined) return this.refuse('transferring', `leadership is moving to ${leader.transferee}`);
    if (data.byteLength > this.config.proposalBytesMax) {
      return this.refuse('tooLarge', `proposal of ${data.byteLength} bytes exceeds ${this.config.proposalBytesMax}`);
    }
    if (leader.uncommittedBytes > 0 && leader.uncommittedBytes + data.byteLength > this.config.uncommittedBytesMax) {
      return this.refuse('busy', `${leader.uncommittedBytes} bytes are uncommitted`);
    }
    const entry: Entry = { index: this.log.lastIndex + 1, term: this.term, kind: 'normal', data };
    leader.uncommittedBytes += data.byteLength;
    this.appendAsLeader(leader, entry);
    return { ok: true, index: entry.index, term: entry.term };
  }

  /**
   * Appends a single-server membership change (leader only). It takes effect as soon as it is
   * appended; the next may only follow once it is committed, and only after this leader has
   * committed an entry of its own term (the fix for the single-server change bug found after
   * the thesis).
   */
  proposeConfChange(change: ConfChange): ProposeResult {
    if (this.role.role !== 'leader') return this.refuse('notLeader', 'not the leader');
    const leader = this.role.leader;
    if (leader.transferee !== undefined) return this.refuse('transferring', `leadership is moving to ${leader.transferee}`);
    if (this.log.membershipIndex() > this.commit || this.log.term(this.commit) !== this.term) {
      return this.refuse('membershipChangePending', 'the previous membership change or this leader’s first entry is not committed yet');
    }
    const outcome = applyConfChange(this.log.membership(), change);
    if (!outcome.ok) return this.refuse('invalidChange', outcome.message);
    const entry: Entry = {
      index: this.log.lastIndex + 1,
      term: this.term,
      kind: 'membership',
      data: encodeMembershipEntry({ change, membership: outcome.membership }),
    };
    this.logger.info({ change, membership: describeMembership(outcome.membership), index: entry.index }, 'proposing a membership change');
    this.appendAsLeader(leader, entry);
    return { ok: true, index: entry.index, term: entry.term };
  }

  /**
   * Asks for a linearizable read point. Once confirmed, a ReadState with this context appears
   * in a Ready; reads are safe once the state machine has applied its index. A follower
   * forwards the request to its leader; requests are lost on leader changes (retry on timeout).
   */
  readIndex(context: Uint8Array): RequestResult {
    if (this.role.role === 'leader') return this.leaderReadIndex(this.role.leader, context, this.id);
    const leaderId = this.leaderId();
    if (leaderId === undefined) return this.refuse('notLeader', 'no leader is known');
    this.send({ type: 'readIndexRequest', to: leaderId, term: this.term, context });
    return { ok: true };
  }

  /** Hands leadership to a voter: it is caught up, then told to campaign at once (TimeoutNow). */
  transferLeadership(to: NodeId): RequestResult {
    if (this.role.role !== 'leader') return this.refuse('notLeader', 'not the leader');
    const leader = this.role.leader;
    if (to === this.id) return { ok: true };
    if (!isVoter(this.log.membership(), to)) return this.refuse('invalidChange', `node ${to} is not a voter`);
    if (leader.transferee === to) return { ok: true };
    leader.transferee = to;
    leader.transferElapsed = 0;
    this.logger.info({ term: this.term, to }, 'transferring leadership');
    const progress = leader.tracker.get(to);
    if (progress !== undefined && progress.match === this.log.lastIndex) this.sendTimeoutNow(to);
    else leader.sendsPending = true;
    return { ok: true };
  }

  /**
   * The application took a snapshot of its state machine at `index` (applied already): the
   * log up to it is dropped here, and storage drops it once the snapshot is persisted.
   */
  compact(index: number, data: Uint8Array): void {
    assert(index <= this.applied, `cannot compact to ${index} beyond the applied index ${this.applied}`);
    assert(data.byteLength <= raftLimits.snapshotBytesMax, `snapshot of ${data.byteLength} bytes exceeds ${raftLimits.snapshotBytesMax}`);
    if (index <= this.snapshot.meta.index) return;
    assert(index <= this.stableLast, `compacting to ${index} beyond the durable index ${this.stableLast}`);
    this.snapshot = { meta: this.log.metaAt(index), data };
    this.pendingLocalSnapshot = this.snapshot;
    this.compactWanted = index;
    this.compactLog();
  }

  /**
   * Drops log entries the latest snapshot covers, except those a live follower still needs: a
   * leader keeps the entries after a snapshot it is sending, and (up to catchUpEntriesMax) those
   * after a live follower's match. Without this, a follower that just installed a snapshot would find
   * the entries after it compacted away and need another snapshot, forever if the application
   * snapshots faster than a transfer takes.
   */
  private compactLog(): void {
    let target = this.compactWanted;
    if (this.role.role === 'leader') {
      const floor = this.compactWanted - this.config.catchUpEntriesMax;
      for (const [id, progress] of this.role.leader.tracker.entries()) {
        if (id === this.id) continue;
        // A transfer in progress always keeps its entries (silence ends it); other live
        // followers keep at most catchUpEntriesMax.
        if (progress.snapshot !== undefined) {
          target = Math.min(target, progress.snapshot.snapshot.meta.index);
        } else if (progress.ticksSinceHeard < this.config.electionTimeoutTicks) {
          if (progress.match >= this.compactWanted) progress.catchingUp = false;
          const keep = progress.catchingUp ? this.compactWanted - raftLimits.catchUpEntriesMax : floor;
          target = Math.min(target, Math.max(progress.match, keep));
        }
      }
    }
    if (target > this.log.snapshotMeta.index) this.log.compactTo(target);
  }

  // ---------------------------------------------------------------------------------------
  // Outputs

  hasReady(): boolean {
    if (this.inFlight !== undefined) return false;
    return (
      this.outbox.length > 0 ||
      (this.role.role === 'leader' && this.role.leader.sendsPending) ||
      this.stableLast < this.log.lastIndex ||
      this.pendingSnapshot !== undefined ||
      this.pendingLocalSnapshot !== undefined ||
      this.readStates.length > 0 ||
      this.applyFrom() <= this.commit ||
      !sameHardState(this.hardState(), this.prevHardState) ||
      !sameSoftState(this.softState(), this.prevSoftState)
    );
  }

  ready(): Ready {
    assert(this.inFlight === undefined, 'ready() called again before advance()');
    if (this.role.role === 'leader') this.flushSends(this.role.leader);

    const entries = this.stableLast < this.log.lastIndex ? this.log.slice(this.stableLast + 1, this.log.lastIndex) : [];
    const first = entries[0];
    const diskLast = this.pendingSnapshot?.meta.index ?? this.diskLast;
    const truncateFrom = first !== undefined && first.index <= diskLast ? first.index : undefined;

    const applyFrom = this.applyFrom();
    const committedEntries = applyFrom <= this.commit ? this.log.slice(applyFrom, this.commit, this.config.applyBytesMax) : [];

    const hardState = this.hardState();
    const softState = this.softState();
    const hardStateChanged = !sameHardState(hardState, this.prevHardState);
    const ready: Ready = {
      softState: sameSoftState(softState, this.prevSoftState) ? undefined : softState,
      hardState: hardStateChanged ? hardState : undefined,
      snapshot: this.pendingSnapshot,
      localSnapshot: this.pendingLocalSnapshot,
      truncateFrom,
      entries,
      messages: this.outbox,
      committedEntries,
      readStates: this.readStates,
      mustSync: entries.length > 0 || hardStateChanged || this.pendingSnapshot !== undefined || this.pendingLocalSnapshot !== undefined,
    };
    const last = entries[entries.length - 1];
    this.inFlight = {
      ready,
      entriesLast: last === undefined ? undefined : { index: last.index, term: last.term },
      applyTo: committedEntries[committedEntries.length - 1]?.index ?? applyFrom - 1,
    };
    this.prevHardState = hardState;
    this.prevSoftState = softState;
    this.outbox = [];
    this.readStates = [];
    this.pendingSnapshot = undefined;
    this.pendingLocalSnapshot = undefined;
    return ready;
  }

  /** The caller finished the Ready (persisted, sent, applied). */
  advance(ready: Ready): void {
    const inFlight = this.inFlight;
    assert(inFlight !== undefined && inFlight.ready === ready, 'advance() must be given the Ready last returned by ready()');
    this.inFlight = undefined;
    if (ready.snapshot !== undefined) this.applied = Math.max(this.applied, ready.snapshot.meta.index);
    if (inFlight.entriesLast !== undefined) {
      const { index, term } = inFlight.entriesLast;
      this.diskLast = index;
      // A snapshot installed since ready() replaced the log: its write (in the next Ready)
      // drops what was just stored, so nothing after it is durable yet.
      if (this.pendingSnapshot === undefined && this.log.term(index) === term) {
        // Same index and term means the same entry and the same prefix (Log Matching), even
        // if the suffix was truncated and rewritten meanwhile.
        this.stableLast = Math.max(this.stableLast, index);
      }
    }
    this.applied = Math.max(this.applied, inFlight.applyTo);
    assert(this.applied <= this.commit, `applied ${this.applied} is beyond commit ${this.commit}`);
    if (this.role.role === 'leader') {
      const self = this.role.leader.tracker.get(this.id);
      if (self !== undefined && self.maybeUpdate(this.stableLast)) this.maybeCommit(this.role.leader);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Inspection

  status(): RaftStatus {
    let progress: Map<NodeId, ProgressStatus> | undefined;
    if (this.role.role === 'leader') {
      progress = new Map();
      for (const [id, p] of this.role.leader.tracker.entries()) progress.set(id, { match: p.match, next: p.next, state: p.state });
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      commit: this.commit,
      applied: this.applied,
      firstIndex: this.log.firstIndex,
      lastIndex: this.log.lastIndex,
      role: this.role.role,
      leaderId: this.leaderId(),
      membership: this.log.membership(),
      progress,
    };
  }

  get isLeader(): boolean {
    return this.role.role === 'leader';
  }

  get currentTerm(): number {
    return this.term;
  }

  get commitIndex(): number {
    return this.commit;
  }

  get appliedIndex(): number {
    return this.applied;
  }

  get firstIndex(): number {
    return this.log.firstIndex;
  }

  get lastIndex(): number {
    return this.log.lastIndex;
  }

  /** The term at `index`, or undefined when compacted or beyond the log. */
  termAt(index: number): number | undefined {
    return this.log.term(index);
  }

  /** Entries in [from, to] of the in-memory log (for inspection and tests). */
  entries(from: number, to: number): Entry[] {
    return this.log.slice(from, to);
  }

  leaderId(): NodeId | undefined {
    switch (this.role.role) {
      case 'leader':
        return this.id;
      case 'follower':
        return this.role.leaderId;
      default:
        return undefined;
    }
  }

  membership(): Membership {
    return this.log.membership();
  }

  // ---------------------------------------------------------------------------------------
  // Roles

  private becomeFollower(term: number, leaderId: NodeId | undefined, resetTimer = true): void {
    assert(term >= this.term, `a term cannot go back (${this.term} → ${term})`);
    if (term > this.term) {
      this.term = term;
      this.vote = NO_NODE;
    }
    const wasLeader = this.role.role === 'leader';
    if (wasLeader) this.logger.info({ term, leaderId }, 'stepping down');
    this.role = { role: 'follower', leaderId };
    if (resetTimer) this.resetElectionTimer();
    // Snapshot transfers end with leadership, and so do the entries kept for them.
    if (wasLeader) this.compactLog();
  }

  private becomePreCandidate(): void {
    assert(this.role.role !== 'leader', 'a leader does not pre-campaign');
    this.role = { role: 'preCandidate', votes: new Map() };
    this.resetElectionTimer();
  }

  private becomeCandidate(): void {
    assert(this.role.role !== 'leader', 'a leader does not campaign');
    this.term += 1;
    this.vote = this.id;
    this.role = { role: 'candidate', votes: new Map() };
    this.resetElectionTimer();
  }

  private becomeLeader(): void {
    assert(this.role.role === 'candidate', `only a candidate becomes leader (was ${this.role.role})`);
    const tracker = new ProgressTracker(this.config.inflightAppendsMax, this.config.inflightBytesMax);
    const noop: Entry = { index: this.log.lastIndex + 1, term: this.term, kind: 'noop', data: new Uint8Array(0) };
    const leader: LeaderState = {
      tracker,
      firstIndexOfTerm: noop.index,
      transferee: undefined,
      transferElapsed: 0,
      uncommittedBytes: 0,
      reads: new ReadIndexQueue(this.config.readIndexPendingMax),
      sendsPending: true,
      departing: new Map(),
    };
    this.role = { role: 'leader', leader };
    this.syncTracker(leader);
    leader.tracker.get(this.id)?.maybeUpdate(this.stableLast);
    this.resetElectionTimer();
    this.logger.info({ term: this.term, lastIndex: this.log.lastIndex }, 'became leader');
    // Entries of earlier terms only commit through an entry of this term (Raft §5.4.2).
    this.appendAsLeader(leader, noop);
  }

  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    const timeout = this.config.electionTimeoutTicks;
    this.randomizedElectionTimeout = timeout + this.prng.intBetween(0, timeout - 1);
  }

  /**
   * A voter in its own latest membership may campaign; observers and removed nodes never do.
   * One exception: a node whose removal is appended but not known to be committed may campaign
   * (counting only the new voters, so elections stay safe). It may be the only node holding the
   * removal; if it could not lead, the others could never be elected over its longer log and
   * the change could never commit.
   */
  private isPromotable(): boolean {
    const membership = this.log.membership();
    if (isVoter(membership, this.id)) return true;
    const index = this.log.membershipIndex();
    return index > this.commit && isVoter(this.log.membershipAt(index - 1), this.id);
  }

  private isInLease(): boolean {
    return this.config.checkQuorum && this.leaderId() !== undefined && this.electionElapsed < this.config.electionTimeoutTicks;
  }

  private followLeader(leaderId: NodeId): void {
    if (this.role.role === 'leader') {
      assert(false, `two leaders in term ${this.term}: ${this.id} and ${leaderId}`);
    }
    if (this.role.role === 'follower' && this.role.leaderId === leaderId) this.electionElapsed = 0;
    else this.becomeFollower(this.term, leaderId);
  }

  // ---------------------------------------------------------------------------------------
  // Elections

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.randomizedElectionTimeout && this.isPromotable()) {
      this.startCampaign(this.config.preVote ? 'preVote' : 'election');
    }
  }

  private startCampaign(kind: CampaignKind): void {
    if (!this.isPromotable()) return;
    if (kind === 'preVote') this.becomePreCandidate();
    else this.becomeCandidate();
    const role = this.role;
    assert(role.role === 'preCandidate' || role.role === 'candidate', 'campaigning without a campaign role');
    const voteTerm = kind === 'preVote' ? this.term + 1 : this.term;
    this.logger.debug({ kind, term: voteTerm }, 'campaigning');
    role.votes.set(this.id, true);
    const voters = this.log.membership().voters;
    if (this.onTally(voteResult(voters, role.votes))) return;
    for (const voter of voters) {
      if (voter === this.id) continue;
      this.send({
        type: 'voteRequest',
        to: voter,
        term: voteTerm,
        preVote: kind === 'preVote',
        lastLogIndex: this.log.lastIndex,
        lastLogTerm: this.log.lastTerm,
        transfer: kind === 'transfer',
      });
    }
  }

  /** Acts on a campaign's tally; returns whether the campaign ended. */
  private onTally(result: 'won' | 'lost' | 'pending'): boolean {
    if (result === 'pending') return false;
    if (result === 'lost') {
      this.becomeFollower(this.term, undefined);
      return true;
    }
    if (this.role.role === 'preCandidate') this.startCampaign('election');
    else this.becomeLeader();
    return true;
  }

  private onVoteRequest(m: VoteRequest): void {
    // Grant when we have not voted for someone else in this term (or this is a pre-vote for a
    // later term) and the candidate's log is at least as up to date as ours (§5.4.1). Any node
    // answers, observers included: a candidate whose log already promotes a node must be able
    // to win its vote; only the candidate's membership decides whose vote counts.
    const canVote = this.vote === m.from || (this.vote === NO_NODE && this.leaderId() === undefined) || (m.preVote && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
      this.send({ type: 'voteResponse', to: m.from, term: m.term, preVote: m.preVote, granted: true });
      if (!m.preVote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: 'voteResponse', to: m.from, term: this.term, preVote: m.preVote, granted: false });
    }
  }

  private onVoteResponse(from: NodeId, preVote: boolean, granted: boolean): void {
    const role = this.role;
    if (role.role !== 'preCandidate' && role.role !== 'candidate') return;
    if (preVote !== (role.role === 'preCandidate')) return;
    role.votes.set(from, granted);
    this.onTally(voteResult(this.log.membership().voters, role.votes));
  }

  /** A message from an older term: answer a stale leader or pre-candidate so it catches up. */
  private onStaleMessage(m: Message): void {
    if (m.type === 'appendRequest' || m.type === 'heartbeatRequest' || m.type === 'installSnapshotRequest') {
      // Without this a node that moved to a higher term (and cannot win with pre-vote) would
      // ignore the leader forever; the answer's term makes the leader step down instead.
      this.send({ type: 'heartbeatResponse', to: m.from, term: this.term, readRound: 0 });
    } else if (m.type === 'voteRequest' && m.preVote) {
      this.send({ type: 'voteResponse', to: m.from, term: this.term, preVote: true, granted: false });
    }
  }

  // ---------------------------------------------------------------------------------------
  // Following

  private onAppendRequest(m: AppendRequest): void {
    if (m.prevLogIndex < this.commit) {
      // Everything up to our commit index matches the leader already; say so and let the
      // leader continue from there.
      this.send({ type: 'appendResponse', to: m.from, term: this.term, success: true, index: this.commit, rejectHint: 0, rejectHintTerm: 0 });
      return;
    }
    if (!this.log.matchTerm(m.prevLogIndex, m.prevLogTerm)) {
      const hint = this.log.findConflictByTerm(Math.min(m.prevLogIndex, this.log.lastIndex), m.prevLogTerm);
      this.send({
        type: 'appendResponse',
        to: m.from,
        term: this.term,
        success: false,
        index: m.prevLogIndex,
        rejectHint: hint.index,
        rejectHintTerm: hint.term,
      });
      return;
    }
    const lastNew = m.prevLogIndex + m.entries.length;
    const conflict = this.log.findConflict(m.entries);
    if (conflict !== undefined) {
      assert(conflict > this.commit, `entry ${conflict} from leader ${m.from} conflicts with the committed log (commit ${this.commit})`);
      if (conflict <= this.log.lastIndex) this.truncateLogAfter(conflict - 1);
      this.log.append(m.entries.slice(conflict - m.prevLogIndex - 1));
      this.onMembershipMaybeChanged();
    }
    this.commitTo(Math.min(m.commit, lastNew));
    this.send({ type: 'appendResponse', to: m.from, term: this.term, success: true, index: lastNew, rejectHint: 0, rejectHintTerm: 0 });
  }

  private onHeartbeatRequest(m: HeartbeatRequest): void {
    // The leader only sends commit up to what it knows this log matches.
    assert(m.commit <= this.log.lastIndex || m.commit <= this.commit, `heartbeat commit ${m.commit} beyond the last index ${this.log.lastIndex}`);
    this.commitTo(Math.min(m.commit, this.log.lastIndex));
    this.send({ type: 'heartbeatResponse', to: m.from, term: this.term, readRound: m.readRound });
  }

  private onSnapshotChunk(m: InstallSnapshotRequest): void {
    const answer = (nextOffset: number, done: boolean): void =>
      this.send({ type: 'installSnapshotResponse', to: m.from, term: this.term, snapshotIndex: m.snapshotIndex, offset: m.offset, nextOffset, done });
    if (m.snapshotIndex <= this.commit) {
      // Our committed log already covers it.
      answer(m.totalBytes, true);
      return;
    }
    if (m.totalBytes > raftLimits.snapshotBytesMax) {
      this.logger.warn({ totalBytes: m.totalBytes, from: m.from }, 'refusing a snapshot above snapshotBytesMax');
      return;
    }
    let receiver = this.snapshotReceiver;
    if (receiver === undefined || !receiver.matches(m.from, this.term, m)) {
      if (m.offset !== 0) {
        answer(0, false);
        return;
      }
      receiver = new SnapshotReceiver(m.from, this.term, m.snapshotIndex, m.snapshotTerm, m.totalBytes);
      this.snapshotReceiver = receiver;
    }
    if (m.offset !== receiver.received) {
      answer(receiver.received, false);
      return;
    }
    receiver.accept(m);
    if (!receiver.isComplete()) {
      answer(receiver.received, false);
      return;
    }
    this.snapshotReceiver = undefined;
    const membership = normalizeMembership({ voters: m.voters, observers: m.observers });
    this.installSnapshot({ meta: { index: m.snapshotIndex, term: m.snapshotTerm, membership }, data: receiver.assemble() });
    answer(m.totalBytes, true);
  }

  private installSnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.meta;
    assert(index > this.commit, `installing snapshot ${index} at or below commit ${this.commit}`);
    if (this.log.matchTerm(index, term)) {
      // The log holds the snapshot's last entry, hence everything before it: just commit.
      this.commitTo(index);
      return;
    }
    this.logger.info({ index, term, bytes: snapshot.data.byteLength }, 'installing a snapshot from the leader');
    this.log.restore(snapshot.meta);
    this.snapshot = snapshot;
    this.compactWanted = index;
    this.pendingSnapshot = snapshot;
    this.pendingLocalSnapshot = undefined;
    this.commit = index;
    this.stableLast = index;
    this.diskLast = index;
    this.onMembershipMaybeChanged();
  }

  private truncateLogAfter(index: number): void {
    assert(index >= this.commit, `truncating committed entries after ${index} (commit ${this.commit})`);
    this.log.truncateAfter(index);
    this.stableLast = Math.min(this.stableLast, index);
  }

  private commitTo(index: number): void {
    if (index <= this.commit) return;
    assert(index <= this.log.lastIndex, `commit ${index} beyond the last index ${this.log.lastIndex}`);
    this.commit = index;
  }

  // ---------------------------------------------------------------------------------------
  // Leading

  private tickLeader(leader: LeaderState): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTimeoutTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !leader.tracker.isQuorumActive(this.log.membership().voters, this.id)) {
        this.logger.warn({ term: this.term }, 'lost contact with a majority (check-quorum)');
        this.becomeFollower(this.term, undefined);
        return;
      }
      leader.tracker.resetRecentActive();
      this.compactLog();
    }
    this.tickProgress(leader);
    if (leader.departing.size > 0) {
      for (const [id, ticksLeft] of leader.departing) leader.departing.set(id, ticksLeft - 1);
      this.syncTracker(leader);
    }
    if (leader.transferee !== undefined && ++leader.transferElapsed >= this.config.electionTimeoutTicks) {
      this.logger.info({ term: this.term, to: leader.transferee }, 'leadership transfer timed out');
      leader.transferee = undefined;
    }
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      for (const [id, progress] of leader.tracker.entries()) {
        if (id !== this.id) this.sendHeartbeat(leader, id, progress);
      }
    }
  }

  private appendAsLeader(leader: LeaderState, entry: Entry): void {
    this.log.append([entry]);
    leader.sendsPending = true;
    if (entry.kind === 'membership') this.onMembershipMaybeChanged();
  }

  private onLeaderResponse(leader: LeaderState, m: Extract<Message, { type: 'appendResponse' | 'heartbeatResponse' | 'installSnapshotResponse' }>): void {
    const progress = leader.tracker.get(m.from);
    if (progress === undefined) return;
    progress.recentActive = true;
    progress.ticksSinceHeard = 0;
    leader.sendsPending = true;
    switch (m.type) {
      case 'appendResponse':
        if (m.success) this.onAppendAccepted(leader, m.from, progress, m.index);
        else {
          const hint = m.rejectHintTerm > 0 ? this.log.findConflictByTerm(m.rejectHint, m.rejectHintTerm).index : m.rejectHint;
          if (progress.maybeDecreaseTo(m.index, hint) && progress.state === 'replicate') progress.becomeProbe();
        }
        return;
      case 'heartbeatResponse':
        if (progress.state === 'probe') progress.probeSent = false;
        else if (progress.state === 'snapshot' && progress.snapshot !== undefined) progress.snapshot.chunkInFlight = false;
        else if (progress.state === 'replicate' && progress.match < this.log.lastIndex) {
          // Appends may have been lost: let one through so a gap shows up as a rejection.
          if (progress.inflights.isFull()) progress.inflights.freeFirst();
          this.sendAppend(m.from, progress, true);
        }
        if (m.readRound > progress.readRoundAcked) {
          progress.readRoundAcked = Math.min(m.readRound, leader.reads.round);
          this.releaseReads(leader);
        }
        return;
      case 'installSnapshotResponse': {
        const transfer = progress.snapshot;
        if (progress.state !== 'snapshot' || transfer === undefined || transfer.snapshot.meta.index !== m.snapshotIndex) return;
        // Only the answer to the chunk last sent moves the transfer: duplicated or late answers
        // would otherwise each trigger another chunk, multiplying traffic.
        if (m.offset !== transfer.offset) return;
        if (m.done) {
          this.onAppendAccepted(leader, m.from, progress, m.snapshotIndex);
        } else {
          transfer.offset = Math.min(m.nextOffset, transfer.snapshot.data.byteLength);
          transfer.chunkInFlight = false;
        }
        return;
      }
    }
  }

  private onAppendAccepted(leader: LeaderState, from: NodeId, progress: Progress, index: number): void {
    if (!progress.maybeUpdate(index)) {
      if (progress.state === 'replicate') progress.inflights.freeUpTo(index);
      return;
    }
    if (progress.state === 'probe') progress.becomeReplicate();
    else if (progress.state === 'snapshot') {
      progress.becomeProbe();
      progress.catchingUp = true;
    }
    else progress.inflights.freeUpTo(index);
    this.maybeCommit(leader);
    if (this.role.role === 'leader' && leader.transferee === from && progress.match === this.log.lastIndex) this.sendTimeoutNow(from);
  }

  /** Commits the highest index a majority of voters stores, if it belongs to this term (§5.4.2). */
  private maybeCommit(leader: LeaderState): void {
    const index = leader.tracker.committedIndex(this.log.membership().voters);
    if (index <= this.commit || this.log.term(index) !== this.term) return;
    const previous = this.commit;
    this.commit = index;
    leader.sendsPending = true;
    for (let i = Math.max(previous, leader.firstIndexOfTerm - 1) + 1; i <= index; i++) {
      const entry = this.log.entry(i);
      if (entry.kind === 'normal') leader.uncommittedBytes -= entry.data.byteLength;
    }
    assert(leader.uncommittedBytes >= 0, 'uncommitted bytes went negative');
    for (const read of leader.reads.takeHeld()) this.leaderReadIndex(leader, read.context, read.requester);
    const membership = this.log.membership();
    if (!isVoter(membership, this.id) && this.log.membershipIndex() <= this.commit) this.stepDownAfterRemoval(leader);
  }

  /** Our own removal is committed: tell everyone, hand over to the best voter, then follow. */
  private stepDownAfterRemoval(leader: LeaderState): void {
    this.flushSends(leader);
    let best: NodeId | undefined;
    let bestMatch = -1;
    for (const voter of this.log.membership().voters) {
      const match = leader.tracker.get(voter)?.match ?? 0;
      if (match > bestMatch) {
        best = voter;
        bestMatch = match;
      }
    }
    this.logger.info({ term: this.term, successor: best }, 'stepping down: this node is no longer a voter');
    if (best !== undefined && bestMatch === this.log.lastIndex) this.sendTimeoutNow(best);
    this.becomeFollower(this.term, undefined);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', to, term: this.term });
  }

  /** Sends whatever each follower can take now: appends, snapshot chunks, commit updates, read rounds. */
  private flushSends(leader: LeaderState): void {
    if (!leader.sendsPending) return;
    leader.sendsPending = false;
    const newRound = leader.reads.startRound();
    if (newRound) {
      const self = leader.tracker.get(this.id);
      if (self !== undefined) self.readRoundAcked = leader.reads.round;
    }
    for (const [id, progress] of leader.tracker.entries()) {
      if (id === this.id) continue;
      if (progress.state === 'snapshot') {
        if (progress.snapshot !== undefined && !progress.snapshot.chunkInFlight) this.sendSnapshotChunk(id, progress);
      } else {
        while (this.sendAppend(id, progress, false));
      }
      if (progress.commitSent < Math.min(this.commit, progress.match) || (newRound && isVoter(this.log.membership(), id))) {
        this.sendHeartbeat(leader, id, progress);
      }
    }
    this.releaseReads(leader);
    // Nodes removed by a change that just committed got the commit above; now forget them.
    this.syncTracker(leader);
  }

  /**
   * Tracks every member of the latest membership and, while it is uncommitted, the members it
   * removes: they keep receiving the log until they can learn that their removal committed,
   * after which they stop campaigning.
   */
  private syncTracker(leader: LeaderState): void {
    const index = this.log.membershipIndex();
    const wanted = new Set<NodeId>(membersOf(this.log.membership()));
    wanted.add(this.id);
    if (index > this.commit) for (const id of membersOf(this.log.membershipAt(index - 1))) wanted.add(id);
    for (const id of wanted) leader.departing.delete(id);
    for (const [id, progress] of leader.tracker.entries()) {
      if (wanted.has(id)) continue;
      const informed = progress.match >= index && progress.commitSent >= index;
      const ticksLeft = leader.departing.get(id) ?? this.config.electionTimeoutTicks;
      if (informed || ticksLeft <= 0) {
        leader.departing.delete(id);
      } else {
        leader.departing.set(id, ticksLeft);
        wanted.add(id);
      }
    }
    const before = leader.tracker.size;
    leader.tracker.sync(wanted, this.log.lastIndex);
    if (leader.tracker.size < before) this.compactLog();
  }

  /** Counts silence per follower; one silent for a whole election timeout releases its snapshot. */
  private tickProgress(leader: LeaderState): void {
    let released = false;
    for (const [id, progress] of leader.tracker.entries()) {
      if (id === this.id) continue;
      progress.ticksSinceHeard++;
      if (progress.state !== 'snapshot' || progress.ticksSinceHeard < this.config.electionTimeoutTicks) continue;
      progress.becomeProbe();
      released = true;
    }
    if (released) this.compactLog();
  }

  /** Sends one append if the follower is not paused; returns whether it sent one. */
  private sendAppend(to: NodeId, progress: Progress, sendIfEmpty: boolean): boolean {
    if (progress.isPaused()) return false;
    const prevLogIndex = progress.next - 1;
    assert(prevLogIndex <= this.log.lastIndex, `next index ${progress.next} of ${to} is beyond the log end ${this.log.lastIndex}`);
    const prevLogTerm = this.log.term(prevLogIndex);
    if (prevLogTerm === undefined) {
      // The entries this follower needs are compacted away.
      progress.becomeSnapshot(this.snapshot);
      this.logger.info({ to, snapshotIndex: this.snapshot.meta.index }, 'sending a snapshot to a lagging follower');
      this.sendSnapshotChunk(to, progress);
      return false;
    }
    const entries =
      progress.next <= this.log.lastIndex
        ? this.log.slice(progress.next, this.log.lastIndex, this.config.appendBytesMax, this.config.appendEntriesMax)
        : [];
    // In probe state an empty append still finds where the follower's log matches.
    if (entries.length === 0 && !sendIfEmpty && progress.state !== 'probe') return false;
    const lastIndex = prevLogIndex + entries.length;
    let bytes = 0;
    for (const entry of entries) bytes += entry.data.byteLength;
    this.send({ type: 'appendRequest', to, term: this.term, prevLogIndex, prevLogTerm, entries, commit: this.commit });
    progress.sentEntries(lastIndex, bytes, entries.length);
    progress.commitSent = Math.max(progress.commitSent, Math.min(this.commit, lastIndex));
    return entries.length > 0 && progress.state === 'replicate';
  }

  private sendHeartbeat(leader: LeaderState, to: NodeId, progress: Progress): void {
    const commit = Math.min(this.commit, progress.match);
    progress.commitSent = Math.max(progress.commitSent, commit);
    this.send({ type: 'heartbeatRequest', to, term: this.term, commit, readRound: leader.reads.round });
  }

  private sendSnapshotChunk(to: NodeId, progress: Progress): void {
    const transfer = progress.snapshot;
    assert(progress.state === 'snapshot' && transfer !== undefined, 'sending a chunk outside the snapshot state');
    const { meta, data } = transfer.snapshot;
    const offset = Math.min(transfer.offset, data.byteLength);
    const chunk = data.subarray(offset, offset + this.config.snapshotChunkBytes);
    this.send({
      type: 'installSnapshotRequest',
      to,
      term: this.term,
      snapshotIndex: meta.index,
      snapshotTerm: meta.term,
      voters: meta.membership.voters,
      observers: meta.membership.observers,
      totalBytes: data.byteLength,
      offset,
      data: chunk,
      done: offset + chunk.byteLength === data.byteLength,
    });
    transfer.chunkInFlight = true;
  }

  private leaderReadIndex(leader: LeaderState, context: Uint8Array, requester: NodeId): RequestResult {
    if (leader.reads.isFull()) {
      return this.refuse('busy', `${this.config.readIndexPendingMax} reads are pending`);
    }
    if (this.log.term(this.commit) !== this.term) {
      // Until an entry of this term commits, our commit index may lag the previous leader's.
      leader.reads.hold(context, requester);
      return { ok: true };
    }
    const voters = this.log.membership().voters;
    if (voters.length === 1 && voters[0] === this.id) {
      this.releaseRead({ context, requester, index: this.commit, round: leader.reads.round });
      return { ok: true };
    }
    leader.reads.add(context, requester, this.commit);
    leader.sendsPending = true;
    return { ok: true };
  }

  /** Releases reads whose heartbeat round a majority of voters confirmed: we were still leader. */
  private releaseReads(leader: LeaderState): void {
    if (leader.reads.size === 0) return;
    const confirmed = leader.tracker.readRoundConfirmed(this.log.membership().voters);
    for (const read of leader.reads.release(confirmed)) this.releaseRead(read);
  }

  private releaseRead(read: PendingRead): void {
    if (read.requester === this.id) this.readStates.push({ index: read.index, context: read.context });
    else this.send({ type: 'readIndexResponse', to: read.requester, term: this.term, context: read.context, index: read.index });
  }

  // ---------------------------------------------------------------------------------------
  // Membership

  /** Reacts when the latest membership in the log changed (append, truncation, snapshot). */
  private onMembershipMaybeChanged(): void {
    const membership = this.log.membership();
    if (sameMembership(membership, this.membershipSeen)) return;
    this.membershipSeen = membership;
    this.logger.info({ membership: describeMembership(membership) }, 'membership changed');
    const role = this.role;
    switch (role.role) {
      case 'leader': {
        const leader = role.leader;
        this.syncTracker(leader);
        if (leader.transferee !== undefined && !isVoter(membership, leader.transferee)) leader.transferee = undefined;
        leader.sendsPending = true;
        this.maybeCommit(leader);
        if (this.role.role === 'leader') this.releaseReads(leader);
        return;
      }
      case 'preCandidate':
      case 'candidate':
        if (!this.isPromotable()) this.becomeFollower(this.term, undefined);
        else this.onTally(voteResult(membership.voters, role.votes));
        return;
      case 'follower':
        return;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Helpers

  private send(message: DistributiveOmit<Message, 'from'>): void {
    this.outbox.push({ ...message, from: this.id });
  }

  private refuse(reason: RefusalReason, message: string): Refusal {
    return { ok: false, reason, leaderId: this.leaderId(), message };
  }

  /** The first committed index not yet handed to the application. */
  private applyFrom(): number {
    return Math.max(this.applied, this.pendingSnapshot?.meta.index ?? 0) + 1;
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.commit };
  }

  private softState(): SoftState {
    return { role: this.role.role, leaderId: this.leaderId() };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leaderId === b.leaderId;
}
