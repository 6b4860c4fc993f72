import { silentLogger } from '@eddy/base';
import { encodeRecordBatch, iterateBatches, stampBatch } from '@eddy/record';
import { describe, expect, it } from 'vitest';
import type { OffsetsTopicRecord } from '../group-store/offsets-topic-records.js';
import { groupCoordinatorLimits } from './limits.js';
import { decodeOffsetsRecords, encodeOffsetsWrite } from './offsets-batches.js';

const commit = (partition: number, offset: bigint, metadata = ''): OffsetsTopicRecord => ({
  type: 'offset',
  group: 'g',
  topic: 't',
  partition,
  value: { offset, leaderEpoch: 1, metadata, commitTimestampMs: 1_000 },
});

/** Concatenated batches as a log holds them, with offsets stamped from `baseOffset`. */
function asLog(bytes: Buffer, baseOffset: bigint): Buffer {
  const out = Buffer.from(bytes);
  let next = baseOffset;
  for (const { position, size, header } of iterateBatches(out)) {
    stampBatch(out.subarray(position, position + size), next, 0);
    next += BigInt(header.lastOffsetDelta) + 1n;
  }
  return out;
}

describe('offsets writes', () => {
  it('round-trip, skipping records before the start offset', () => {
    const records = [commit(0, 5n), commit(1, 6n), { type: 'group', group: 'g', value: null } as const];
    const write = encodeOffsetsWrite(records, 1_700_000_000_000);
    expect(write?.recordCount).toBe(3);
    const log = asLog(write?.bytes ?? Buffer.alloc(0), 10n);
    expect(decodeOffsetsRecords(log, 10n, silentLogger)).toEqual({ records, nextOffset: 13n, skipped: 0 });
    expect(decodeOffsetsRecords(log, 12n, silentLogger)).toEqual({ records: [records[2]], nextOffset: 13n, skipped: 0 });
  });

  it('split into batches under the batch limit, and refuse a write over the write limit', () => {
    const metadata = 'x'.repeat(groupCoordinatorLimits.offsetMetadataBytesMax);
    const count = Math.ceil((3 * groupCoordinatorLimits.batchBytesMax) / metadata.length);
    const write = encodeOffsetsWrite(Array.from({ length: count }, (_, i) => commit(i, BigInt(i), metadata)), 0);
    const batches = [...iterateBatches(write?.bytes ?? Buffer.alloc(0))];
    expect(batches.length).toBeGreaterThanOrEqual(3);
    expect(batches.every((batch) => batch.size <= groupCoordinatorLimits.batchBytesMax + metadata.length * 2)).toBe(true);
    const tooMany = Math.ceil((2 * groupCoordinatorLimits.writeBytesMax) / metadata.length);
    expect(encodeOffsetsWrite(Array.from({ length: tooMany }, (_, i) => commit(i, 0n, metadata)), 0)).toBeUndefined();
  });

  it('skip records that are not __consumer_offsets records', () => {
    const garbage = encodeRecordBatch([{ key: 'not json', value: 'x' }, { key: null, value: 'y' }]);
    const good = encodeOffsetsWrite([commit(0, 1n)], 0)?.bytes ?? Buffer.alloc(0);
    const log = asLog(Buffer.concat([garbage, good]), 0n);
    expect(decodeOffsetsRecords(log, 0n, silentLogger)).toEqual({ records: [commit(0, 1n)], nextOffset: 3n, skipped: 2 });
  });
});
