import { assert } from '@eddy/base';
import type { InstallSnapshotRequest } from './messages.js';
import type { NodeId } from './types.js';

/**
 * A follower's buffer for one incoming snapshot: chunks are accepted strictly in order (the
 * leader resends from the offset the follower asks for), and the transfer belongs to one
 * leader, term and snapshot; anything else starts a new transfer.
 */
export class SnapshotReceiver {
  private readonly chunks: Uint8Array[] = [];
  private receivedBytes = 0;

  constructor(
    readonly leaderId: NodeId,
    readonly term: number,
    readonly snapshotIndex: number,
    readonly snapshotTerm: number,
    readonly totalBytes: number,
  ) {}

  get received(): number {
    return this.receivedBytes;
  }

  /** Whether a chunk belongs to this transfer. */
  matches(leaderId: NodeId, term: number, chunk: InstallSnapshotRequest): boolean {
    return (
      this.leaderId === leaderId &&
      this.term === term &&
      this.snapshotIndex === chunk.snapshotIndex &&
      this.snapshotTerm === chunk.snapshotTerm &&
      this.totalBytes === chunk.totalBytes
    );
  }

  /** Takes the chunk at the current offset. */
  accept(chunk: InstallSnapshotRequest): void {
    assert(chunk.offset === this.receivedBytes, `chunk at ${chunk.offset} while expecting ${this.receivedBytes}`);
    assert(this.receivedBytes + chunk.data.byteLength <= this.totalBytes, 'chunk runs past the snapshot size');
    this.chunks.push(chunk.data);
    this.receivedBytes += chunk.data.byteLength;
  }

  isComplete(): boolean {
    return this.receivedBytes === this.totalBytes;
  }

  assemble(): Uint8Array {
    assert(this.isComplete(), 'assembling an incomplete snapshot');
    const data = new Uint8Array(this.totalBytes);
    let at = 0;
    for (const chunk of this.chunks) {
      data.set(chunk, at);
      at += chunk.byteLength;
    }
    return data;
  }
}
