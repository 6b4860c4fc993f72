import { assert } from '@eddy/base';

/**
 * The append requests in flight to one follower in the replicate state, oldest first: each is
 * the last index it carried and its bytes. The leader stops sending when either bound is
 * reached and frees slots as acknowledgements arrive, so pipelining never outruns a follower by
 * more than inflightAppendsMax requests or inflightBytesMax bytes.
 */
export class Inflights {
  private readonly lastIndexes: number[] = [];
  private readonly sizes: number[] = [];
  private head = 0;
  private bytesInFlight = 0;

  constructor(
    readonly countMax: number,
    readonly bytesMax: number,
  ) {
    assert(countMax >= 1 && bytesMax >= 1, 'inflight bounds must be positive');
  }

  get count(): number {
    return this.lastIndexes.length - this.head;
  }

  get bytes(): number {
    return this.bytesInFlight;
  }

  isFull(): boolean {
    return this.count >= this.countMax || this.bytesInFlight >= this.bytesMax;
  }

  add(lastIndex: number, bytes: number): void {
    assert(!this.isFull(), 'sent an append while the inflight window is full');
    const newest = this.lastIndexes[this.lastIndexes.length - 1];
    assert(this.count === 0 || newest === undefined || lastIndex > newest, `inflight appends must ascend (${lastIndex} after ${newest})`);
    this.lastIndexes.push(lastIndex);
    this.sizes.push(bytes);
    this.bytesInFlight += bytes;
  }

  /** Frees every request whose last index is at or below `index` (acknowledged). */
  freeUpTo(index: number): void {
    while (this.head < this.lastIndexes.length && (this.lastIndexes[this.head] ?? 0) <= index) {
      this.bytesInFlight -= this.sizes[this.head] ?? 0;
      this.head++;
    }
    if (this.head === this.lastIndexes.length) this.reset();
    else if (this.head > 64 && this.head * 2 > this.lastIndexes.length) {
      this.lastIndexes.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Frees the oldest request: its acknowledgement may be lost, and a full window would stall. */
  freeFirst(): void {
    const first = this.lastIndexes[this.head];
    if (first !== undefined) this.freeUpTo(first);
  }

  reset(): void {
    this.lastIndexes.length = 0;
    this.sizes.length = 0;
    this.head = 0;
    this.bytesInFlight = 0;
  }
}
