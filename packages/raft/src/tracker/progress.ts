import { assert } from '@eddy/base';
import type { Snapshot } from '../core/types.js';
import { Inflights } from './inflights.js';

/**
 * How a leader replicates to a follower:
 * - probe: the follower's log position is unknown; send one append at a time and wait for its
 *   answer (or the next heartbeat answer) before sending another.
 * - replicate: the follower is known to match up to `match`; stream appends optimistically,
 *   advancing `next` as they are sent, bounded by the inflight window.
 * - snapshot: the entries the follower needs are compacted; send snapshot chunks one at a time.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export interface SnapshotTransfer {
  /**
   * The snapshot being sent, pinned for the whole transfer: a newer snapshot taken meanwhile
   * does not restart it, and the leader keeps the entries after it until the transfer ends.
   */
  readonly snapshot: Snapshot;
  /** The next byte offset to send (what the follower last asked for). */
  offset: number;
  /** A chunk was sent and has not been answered yet. */
  chunkInFlight: boolean;
}

export class Progress {
  /** The highest index known to match the leader's log. */
  match = 0;
  /** The next index to send. */
  next: number;
  state: ProgressState = 'probe';
  /** In probe: an append was sent and is unanswered. */
  probeSent = false;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** Leader ticks since this follower last answered (it is live while below an election timeout). */
  ticksSinceHeard = 0;
  /**
   * Installed a snapshot and now needs the entries after it: the leader keeps them (while the
   * follower stays live) until it has caught up with the leader's latest snapshot.
   */
  catchingUp = false;
  /** The highest ReadIndex round this follower confirmed. */
  readRoundAcked = 0;
  /** The commit index this follower was last told (so an idle leader still propagates commit). */
  commitSent = 0;
  snapshot: SnapshotTransfer | undefined = undefined;
  readonly inflights: Inflights;

  constructor(next: number, inflightCountMax: number, inflightBytesMax: number) {
    assert(next >= 1, `next index must be positive, got ${next}`);
    this.next = next;
    this.inflights = new Inflights(inflightCountMax, inflightBytesMax);
  }

  becomeProbe(): void {
    // After a snapshot the follower holds at least the snapshot, so probing resumes after it.
    this.next = this.state === 'snapshot' && this.snapshot !== undefined ? Math.max(this.match + 1, this.snapshot.snapshot.meta.index + 1) : this.match + 1;
    this.state = 'probe';
    this.probeSent = false;
    this.snapshot = undefined;
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.probeSent = false;
    this.snapshot = undefined;
    this.inflights.reset();
  }

  becomeSnapshot(snapshot: Snapshot): void {
    this.state = 'snapshot';
    this.probeSent = false;
    this.snapshot = { snapshot, offset: 0, chunkInFlight: false };
    this.inflights.reset();
  }

  /** Records an acknowledgement up to `index`; returns whether `match` moved. */
  maybeUpdate(index: number): boolean {
    const updated = index > this.match;
    if (updated) {
      this.match = index;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * Handles a rejection of the append whose prevLogIndex was `rejected`, with the follower's
   * hint of where its log may match. Returns false for a stale rejection (an answer to an
   * append older than the current probe or already overtaken by an acknowledgement).
   */
  maybeDecreaseTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      // The pipeline went wrong somewhere after match: restart from just after it.
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** Records an append carrying entries up to `lastIndex` (`bytes` of data). */
  sentEntries(lastIndex: number, bytes: number, entryCount: number): void {
    switch (this.state) {
      case 'replicate':
        if (entryCount > 0) {
          this.next = lastIndex + 1;
          this.inflights.add(lastIndex, bytes);
        }
        break;
      case 'probe':
        this.probeSent = true;
        break;
      case 'snapshot':
        assert(false, 'appends are not sent to a follower receiving a snapshot');
    }
  }

  /** Whether the leader must hold back appends to this follower for now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.isFull();
      case 'snapshot':
        return true;
    }
  }
}
