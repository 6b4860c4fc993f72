import { assert } from '@eddy/base';
import type { NodeId } from './types.js';

/** A ReadIndex request waiting at the leader. */
export interface PendingRead {
  readonly context: Uint8Array;
  /** Who asked: the leader itself, or a follower to answer with readIndexResponse. */
  readonly requester: NodeId;
  /** The commit index when the read arrived: serving at it is linearizable once confirmed. */
  readonly index: number;
  /** Released once a majority of voters confirmed this heartbeat round. */
  readonly round: number;
}

/**
 * The leader's ReadIndex bookkeeping (Raft thesis §6.4). A read is stamped with the commit
 * index and the next heartbeat round; once a majority of voters answered a heartbeat of that
 * round, nobody else can have been leader when the read arrived, so the stamped index is safe.
 * Reads arriving together share a round. Until the leader has committed an entry of its own
 * term its commit index may be stale, so reads wait without an index.
 */
export class ReadIndexQueue {
  private broadcastRound = 0;
  private roundWanted = false;
  private readonly waiting: PendingRead[] = [];
  private readonly held: Array<{ readonly context: Uint8Array; readonly requester: NodeId }> = [];

  constructor(private readonly pendingMax: number) {
    assert(pendingMax >= 1, 'at least one read may wait');
  }

  /** The last round broadcast (heartbeats carry it; followers echo it). */
  get round(): number {
    return this.broadcastRound;
  }

  get size(): number {
    return this.waiting.length + this.held.length;
  }

  isFull(): boolean {
    return this.size >= this.pendingMax;
  }

  /** Queues a read at `index` for the next round. */
  add(context: Uint8Array, requester: NodeId, index: number): void {
    this.waiting.push({ context, requester, index, round: this.broadcastRound + 1 });
    this.roundWanted = true;
  }

  /** Holds a read until the leader commits in its term. */
  hold(context: Uint8Array, requester: NodeId): void {
    this.held.push({ context, requester });
  }

  /** The held reads, now that they can be stamped. */
  takeHeld(): Array<{ readonly context: Uint8Array; readonly requester: NodeId }> {
    return this.held.splice(0);
  }

  /** Starts a new round if reads wait for one; returns whether it did. */
  startRound(): boolean {
    if (!this.roundWanted) return false;
    this.broadcastRound++;
    this.roundWanted = false;
    return true;
  }

  /** Removes and returns the reads whose round a majority confirmed. */
  release(confirmedRound: number): PendingRead[] {
    let count = 0;
    while (count < this.waiting.length && (this.waiting[count]?.round ?? Infinity) <= confirmedRound) count++;
    return this.waiting.splice(0, count);
  }
}
