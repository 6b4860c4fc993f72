import { Prng } from '@eddy/base';
import { describe, expect, it } from 'vitest';
import { type AppendedBatchInfo, RecentBatches, RecentBatchesPool } from './recent-batches.js';

/** A fake batch: `size` bytes, each holding the low byte of its base offset, so answers can be checked. */
interface FakeBatch extends AppendedBatchInfo {
  readonly bytes: Buffer;
}

function fakeBatch(baseOffset: bigint, records: number, size: number): FakeBatch {
  return { baseOffset, lastOffset: baseOffset + BigInt(records - 1), size, bytes: Buffer.alloc(size, Number(baseOffset % 256n)) };
}

/** Appends `batches` as one group (one buffer with its own backing store, as the pool counts it) and returns them. */
function addGroup(cache: RecentBatches, batches: readonly FakeBatch[]): readonly FakeBatch[] {
  const joined = Buffer.concat(batches.map((batch) => batch.bytes));
  const bytes = Buffer.from(new ArrayBuffer(joined.length));
  joined.copy(bytes);
  cache.add(bytes, batches);
  return batches;
}

/** PartitionLog.read's answer over the same batches (the reference the cache must match). */
function logRead(batches: readonly FakeBatch[], offset: bigint, maxBytes: number, maxOffset: bigint): Buffer {
  const at = batches.findIndex((batch) => batch.lastOffset >= offset);
  if (at < 0) return Buffer.alloc(0);
  const first = batches[at] as FakeBatch;
  if (first.lastOffset >= maxOffset) return Buffer.alloc(0);
  const parts = [first.bytes];
  let total = first.size;
  for (const batch of batches.slice(at + 1)) {
    if (total + batch.size > maxBytes || batch.lastOffset >= maxOffset) break;
    parts.push(batch.bytes);
    total += batch.size;
  }
  return Buffer.concat(parts);
}

/** Whether any object reachable from `roots` (through properties and array items) holds a view of `target`. */
function reaches(roots: readonly object[], target: ArrayBuffer): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [...roots];
  for (let steps = 0; stack.length > 0 && steps < 100_000; steps++) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (ArrayBuffer.isView(value)) {
      if (value.buffer === target) return true;
      continue;
    }
    stack.push(...Object.values(value));
  }
  return false;
}

describe('RecentBatches', () => {
  it('answers a read at the tail with a view of the appended buffer, no copy', () => {
    const cache = new RecentBatches(new RecentBatchesPool(1 << 20));
    const bytes = Buffer.concat([fakeBatch(0n, 2, 100).bytes, fakeBatch(2n, 3, 50).bytes]);
    cache.add(bytes, [fakeBatch(0n, 2, 100), fakeBatch(2n, 3, 50)]);
    const answer = cache.read(2n, 1_000, 5n);
    expect(answer?.length).toBe(50);
    expect(answer?.buffer).toBe(bytes.buffer);
    expect(answer?.byteOffset).toBe(bytes.byteOffset + 100);
  });

  it('starts with the batch holding the offset and keeps the first batch whole above maxBytes', () => {
    const cache = new RecentBatches(new RecentBatchesPool(1 << 20));
    const batches = addGroup(cache, [fakeBatch(10n, 5, 300), fakeBatch(15n, 5, 300)]);
    expect(cache.read(12n, 100, 20n)).toEqual(batches[0]?.bytes);
    expect(cache.read(12n, 600, 20n)?.length).toBe(600);
  });

  it('stops below maxOffset (the high watermark for consumers)', () => {
    const cache = new RecentBatches(new RecentBatchesPool(1 << 20));
    const batches = addGroup(cache, [fakeBatch(0n, 1, 10), fakeBatch(1n, 1, 10), fakeBatch(2n, 1, 10)]);
    expect(cache.read(0n, 1_000, 2n)).toEqual(Buffer.concat([batches[0]?.bytes ?? Buffer.alloc(0), batches[1]?.bytes ?? Buffer.alloc(0)]));
    expect(cache.read(2n, 1_000, 2n)?.length).toBe(0);
  });

  it('leaves reads outside the cached run to the log', () => {
    const cache = new RecentBatches(new RecentBatchesPool(1 << 20));
    expect(cache.read(0n, 100, 10n)).toBeUndefined();
    addGroup(cache, [fakeBatch(5n, 1, 10)]);
    expect(cache.read(4n, 100, 10n)).toBeUndefined();
    expect(cache.read(6n, 100, 10n)).toBeUndefined();
    expect(cache.read(5n, 100, 10n)?.length).toBe(10);
  });

  it('restarts at a group that does not continue the cached run', () => {
    const cache = new RecentBatches(new RecentBatchesPool(1 << 20));
    addGroup(cache, [fakeBatch(0n, 1, 10)]);
    addGroup(cache, [fakeBatch(7n, 1, 10)]);
    expect(cache.startOffset).toBe(7n);
    expect(cache.read(0n, 100, 10n)).toBeUndefined();
  });

  it('evicts the oldest groups of any partition first and never holds more than the pool allows', () => {
    const pool = new RecentBatchesPool(250);
    const a = new RecentBatches(pool);
    const b = new RecentBatches(pool);
    addGroup(a, [fakeBatch(0n, 1, 100)]);
    addGroup(b, [fakeBatch(0n, 1, 100)]);
    addGroup(a, [fakeBatch(1n, 1, 100)]);
    expect(pool.usedBytes).toBeLessThanOrEqual(250);
    expect(a.startOffset).toBe(1n);
    expect(b.startOffset).toBe(0n);
    addGroup(b, [fakeBatch(1n, 1, 100)]);
    expect(b.startOffset).toBe(1n);
    a.clear();
    expect(pool.usedBytes).toBe(100);
    // A group larger than the whole pool is not kept, and the run restarts after it.
    addGroup(b, [fakeBatch(2n, 1, 300)]);
    expect(b.startOffset).toBeUndefined();
    expect(pool.usedBytes).toBe(0);
  });

  it('lets go of an evicted buffer at once, not when its queues are next compacted', () => {
    const pool = new RecentBatchesPool(100);
    const cache = new RecentBatches(pool);
    const first = new ArrayBuffer(100);
    cache.add(Buffer.from(first), [{ baseOffset: 0n, lastOffset: 0n, size: 100 }]);
    expect(reaches([pool, cache], first)).toBe(true);
    cache.add(Buffer.from(new ArrayBuffer(100)), [{ baseOffset: 1n, lastOffset: 1n, size: 100 }]);
    expect(cache.startOffset).toBe(1n);
    expect(reaches([pool, cache], first)).toBe(false);
  });

  it('matches the log read for random groups, offsets, limits and evictions', () => {
    const prng = new Prng(7);
    for (let run = 0; run < 200; run++) {
      const pool = new RecentBatchesPool(prng.intBetween(200, 4_000));
      const cache = new RecentBatches(pool);
      const all: FakeBatch[] = [];
      let next = 0n;
      const groups = prng.intBetween(1, 12);
      for (let g = 0; g < groups; g++) {
        const group: FakeBatch[] = [];
        for (let i = prng.intBetween(1, 4); i > 0; i--) {
          const batch = fakeBatch(next, prng.intBetween(1, 5), prng.intBetween(10, 200));
          group.push(batch);
          next = batch.lastOffset + 1n;
        }
        addGroup(cache, group);
        all.push(...group);
      }
      expect(pool.usedBytes).toBeLessThanOrEqual(pool.capacityBytes);
      const start = cache.startOffset;
      for (let probe = 0; probe < 20; probe++) {
        const offset = BigInt(prng.intBetween(0, Number(next)));
        const maxBytes = prng.intBetween(1, 600);
        const maxOffset = BigInt(prng.intBetween(Number(offset), Number(next)));
        const answer = cache.read(offset, maxBytes, maxOffset);
        if (start === undefined || offset < start || offset >= next) {
          expect(answer).toBeUndefined();
          continue;
        }
        expect(answer).toEqual(logRead(all, offset, maxBytes, maxOffset));
      }
    }
  });
});
