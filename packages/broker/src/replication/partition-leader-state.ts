import { assert } from '@eddy/base';

export interface FollowerProgress {
  readonly replicaId: number;
  /** The follower's log end offset (its last fetch offset); -1 before its first fetch. */
  readonly logEndOffset: bigint;
  readonly lastFetchTimeMs: number;
  /** The last time the follower was known to hold everything the leader had; -1 never. */
  readonly lastCaughtUpTimeMs: number;
}

export interface LeaderStateInit {
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** The offset this leadership starts at (log end offset when it became leader). */
  readonly leaderEpochStartOffset: bigint;
  readonly highWatermark: bigint;
  readonly nowMs: number;
}

/** An ISR change the leader wants the controller to make (AlterPartition). */
export interface IsrProposal {
  readonly isr: readonly number[];
  readonly partitionEpoch: number;
  readonly reason: string;
}

export type AppendCheck = { readonly ok: true } | { readonly ok: false; readonly code: 'NOT_ENOUGH_REPLICAS'; readonly message: string };

/**
 * What the leader of one partition knows about its followers, and the decisions Kafka's
 * leader makes from it: the high watermark (the smallest log end offset in the ISR, never
 * moving back), when a follower joins or leaves the ISR, and whether acks=all produces may
 * proceed. Pure: offsets and times come in as arguments.
 *
 * While an ISR change is in flight the high watermark is computed over the union of the old
 * and proposed ISR ("maximal ISR"), so it never runs ahead of a replica that may still count.
 */
export class PartitionLeaderState {
  readonly leaderId: number;
  readonly leaderEpoch: number;
  private partitionEpoch: number;
  private replicas: readonly number[];
  private isr: readonly number[];
  private pending: IsrProposal | undefined;
  private highWatermark: bigint;
  private readonly leaderEpochStartOffset: bigint;
  private readonly followers = new Map<number, FollowerState>();

  constructor(init: LeaderStateInit) {
    assert(init.isr.includes(init.leaderId), 'the leader is in its ISR');
    this.leaderId = init.leaderId;
    this.leaderEpoch = init.leaderEpoch;
    this.partitionEpoch = init.partitionEpoch;
    this.replicas = init.replicas;
    this.isr = init.isr;
    this.highWatermark = init.highWatermark;
    this.leaderEpochStartOffset = init.leaderEpochStartOffset;
    for (const replicaId of init.replicas) {
      if (replicaId === init.leaderId) continue;
      // Followers start with a fresh lag clock, as in Kafka: a new leader does not shrink
      // the ISR for lag it could not observe.
      this.followers.set(replicaId, { logEndOffset: -1n, lastFetchTimeMs: init.nowMs, lastCaughtUpTimeMs: init.nowMs, lastFetchLeaderLogEndOffset: -1n });
    }
  }

  get currentIsr(): readonly number[] {
    return this.isr;
  }

  get currentPartitionEpoch(): number {
    return this.partitionEpoch;
  }

  get pendingProposal(): IsrProposal | undefined {
    return this.pending;
  }

  get currentHighWatermark(): bigint {
    return this.highWatermark;
  }

  /** The ISR that counts for the high watermark: the committed ISR plus pending additions. */
  get maximalIsr(): readonly number[] {
    return this.pending === undefined ? this.isr : [...new Set([...this.isr, ...this.pending.isr])];
  }

  follower(replicaId: number): FollowerProgress | undefined {
    const state = this.followers.get(replicaId);
    return state === undefined ? undefined : { replicaId, logEndOffset: state.logEndOffset, lastFetchTimeMs: state.lastFetchTimeMs, lastCaughtUpTimeMs: state.lastCaughtUpTimeMs };
  }

  isReplica(replicaId: number): boolean {
    return this.followers.has(replicaId);
  }

  /**
   * A follower fetched from `fetchOffset` while the leader's log ended at `leaderLogEndOffset`.
   * Returns the high watermark after the fetch (the follower's fetch offset proves it holds
   * everything below it).
   */
  onFollowerFetch(replicaId: number, fetchOffset: bigint, leaderLogEndOffset: bigint, nowMs: number): bigint {
    const state = this.followers.get(replicaId);
    assert(state !== undefined, `replica ${replicaId} does not follow this partition`);
    // Caught up now if it asks for the end; or caught up as of its previous fetch if it asks
    // for everything the leader had then (Kafka's replica lag rule).
    if (fetchOffset >= leaderLogEndOffset) state.lastCaughtUpTimeMs = nowMs;
    else if (state.lastFetchLeaderLogEndOffset >= 0n && fetchOffset >= state.lastFetchLeaderLogEndOffset) {
      state.lastCaughtUpTimeMs = Math.max(state.lastCaughtUpTimeMs, state.lastFetchTimeMs);
    }
    state.logEndOffset = fetchOffset;
    state.lastFetchTimeMs = nowMs;
    state.lastFetchLeaderLogEndOffset = leaderLogEndOffset;
    return this.updateHighWatermark(leaderLogEndOffset);
  }

  /** Recomputes the high watermark after the leader's own log grew (acks=1, single replica). */
  updateHighWatermark(leaderLogEndOffset: bigint): bigint {
    let candidate = leaderLogEndOffset;
    for (const replicaId of this.maximalIsr) {
      if (replicaId === this.leaderId) continue;
      const state = this.followers.get(replicaId);
      const end = state === undefined ? -1n : state.logEndOffset;
      if (end < candidate) candidate = end;
    }
    if (candidate > this.highWatermark) this.highWatermark = candidate;
    return this.highWatermark;
  }

  /**
   * The ISR change to propose now, if any: followers that caught up to the high watermark
   * (and into this leader epoch) join; followers that have not caught up for `lagTimeMaxMs`
   * leave. Nothing while a proposal is in flight.
   */
  nextIsrProposal(nowMs: number, lagTimeMaxMs: number): IsrProposal | undefined {
    if (this.pending !== undefined) return undefined;
    const joining = [...this.followers]
      .filter(([replicaId, state]) => !this.isr.includes(replicaId) && state.logEndOffset >= this.highWatermark && state.logEndOffset >= this.leaderEpochStartOffset)
      .map(([replicaId]) => replicaId);
    const lagging = this.isr.filter((replicaId) => {
      if (replicaId === this.leaderId) return false;
      const state = this.followers.get(replicaId);
      return state === undefined || nowMs - state.lastCaughtUpTimeMs > lagTimeMaxMs;
    });
    if (joining.length === 0 && lagging.length === 0) return undefined;
    const isr = this.replicas.filter((replicaId) => (this.isr.includes(replicaId) && !lagging.includes(replicaId)) || joining.includes(replicaId));
    const reason = [
      joining.length > 0 ? `replicas ${joining.join(',')} caught up` : '',
      lagging.length > 0 ? `replicas ${lagging.join(',')} lag more than ${lagTimeMaxMs} ms` : '',
    ]
      .filter((part) => part !== '')
      .join('; ');
    this.pending = { isr, partitionEpoch: this.partitionEpoch, reason };
    return this.pending;
  }

  /** The controller answered the proposal (or metadata moved on): drop it. */
  clearPendingProposal(): void {
    this.pending = undefined;
  }

  /** Metadata committed a new ISR / replica set for this leadership. */
  onPartitionUpdate(isr: readonly number[], replicas: readonly number[], partitionEpoch: number, nowMs: number): void {
    assert(partitionEpoch >= this.partitionEpoch, 'partition epochs only grow');
    this.isr = isr;
    this.replicas = replicas;
    this.partitionEpoch = partitionEpoch;
    this.pending = undefined;
    for (const replicaId of replicas) {
      if (replicaId !== this.leaderId && !this.followers.has(replicaId)) {
        this.followers.set(replicaId, { logEndOffset: -1n, lastFetchTimeMs: nowMs, lastCaughtUpTimeMs: -1, lastFetchLeaderLogEndOffset: -1n });
      }
    }
    for (const replicaId of [...this.followers.keys()]) if (!replicas.includes(replicaId)) this.followers.delete(replicaId);
  }

  /** Whether an acks=all produce may be appended: the ISR must meet min.insync.replicas. */
  checkAcksAll(minInsyncReplicas: number): AppendCheck {
    if (this.isr.length >= minInsyncReplicas) return { ok: true };
    return {
      ok: false,
      code: 'NOT_ENOUGH_REPLICAS',
      message: `the ISR [${this.isr.join(',')}] is smaller than min.insync.replicas ${minInsyncReplicas}`,
    };
  }
}

interface FollowerState {
  logEndOffset: bigint;
  lastFetchTimeMs: number;
  lastCaughtUpTimeMs: number;
  lastFetchLeaderLogEndOffset: bigint;
}
