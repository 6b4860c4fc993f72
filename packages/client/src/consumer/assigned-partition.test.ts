import { CorruptRecordError, encodeRecordBatch, stampBatch } from '@eddy/record';
import { describe, expect, it } from 'vitest';
import { AssignedPartition, type ConsumerRecord, endOfBatches } from './assigned-partition.js';

function batch(baseOffset: bigint, values: readonly string[], leaderEpoch = 0): Buffer {
  const bytes = encodeRecordBatch(values.map((value) => (value === 'h' ? { value, headers: { a: '1' } } : { value })), { timestampMs: 1_000 });
  stampBatch(bytes, baseOffset, leaderEpoch);
  return bytes;
}

describe('AssignedPartition', () => {
  it('hands out records from the position on, across batches, up to the limit', () => {
    const partition = new AssignedPartition('t', 0);
    partition.seek(2n);
    partition.addFetched(Buffer.concat([batch(0n, ['a', 'b', 'c', 'd']), batch(4n, ['e', 'f'], 3)]));
    expect(partition.fetchOffset).toBe(6n);
    expect(partition.lastFetchedEpoch).toBe(3);
    expect(partition.bufferedBytes).toBeGreaterThan(0);
    const out: ConsumerRecord[] = [];
    expect(partition.take(3, out)).toBe(3);
    expect(out.map((record) => [record.offset, record.value?.toString(), record.leaderEpoch])).toEqual([
      [2n, 'c', 0],
      [3n, 'd', 0],
      [4n, 'e', 3],
    ]);
    expect(partition.position).toBe(5n);
    expect(partition.positionEpoch).toBe(3);
    expect(partition.take(10, out)).toBe(1);
    expect(partition.position).toBe(6n);
    expect(partition.hasRecords).toBe(false);
    expect(partition.bufferedBytes).toBe(0);
  });

  it('skips whole batches below the position without decoding them, and ignores refetched data', () => {
    const partition = new AssignedPartition('t', 0);
    partition.seek(5n);
    const corruptOld = batch(0n, ['x', 'y']);
    corruptOld.writeUInt8(corruptOld.readUInt8(corruptOld.length - 1) ^ 0xff, corruptOld.length - 1); // would fail its CRC if decoded
    partition.addFetched(Buffer.concat([corruptOld, batch(2n, ['p', 'q', 'r', 's', 't'])]));
    const out: ConsumerRecord[] = [];
    partition.take(10, out);
    expect(out.map((record) => record.value?.toString())).toEqual(['s', 't']);
    // Bytes ending at or before the fetch offset add nothing.
    partition.addFetched(batch(2n, ['p', 'q', 'r', 's', 't']));
    expect(partition.hasRecords).toBe(false);
  });

  it('decodes headers into an object and reports corrupt batches', () => {
    const partition = new AssignedPartition('t', 1);
    partition.seek(0n);
    partition.addFetched(batch(0n, ['h']));
    const out: ConsumerRecord[] = [];
    partition.take(1, out);
    expect(out[0]?.headers['a']?.toString()).toBe('1');
    const corrupt = batch(1n, ['bad']);
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 1) ^ 0xff, corrupt.length - 1);
    partition.addFetched(corrupt);
    expect(() => partition.take(1, [])).toThrow(CorruptRecordError);
    expect(partition.position).toBe(1n);
  });

  it('drops the buffer on a seek', () => {
    const partition = new AssignedPartition('t', 0);
    partition.seek(0n);
    partition.addFetched(batch(0n, ['a']));
    const epoch = partition.epoch;
    partition.seek(10n);
    expect(partition.hasRecords).toBe(false);
    expect(partition.bufferedBytes).toBe(0);
    expect(partition.epoch).toBeGreaterThan(epoch);
    expect(partition.fetchOffset).toBe(10n);
  });

  it('finds the end of fetched batches', () => {
    expect(endOfBatches(Buffer.concat([batch(0n, ['a']), batch(1n, ['b', 'c'], 4)]))).toEqual({ nextOffset: 3n, leaderEpoch: 4 });
    expect(endOfBatches(Buffer.alloc(0))).toBeUndefined();
  });
});
