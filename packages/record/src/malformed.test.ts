import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeRecordBatch } from './decode.js';
import { CorruptRecordError } from './errors.js';
import { buildRawBatch, type RawBatchFields } from './testing/index.js';
import { writeVarint, writeVarlong } from './varint.js';

/** Zigzag varints, one per value. */
function varints(...values: number[]): Buffer {
  const buf = Buffer.alloc(values.length * 5);
  let position = 0;
  for (const value of values) position = writeVarint(buf, position, value);
  return buf.subarray(0, position);
}

interface RawRecord {
  timestampDelta?: number;
  offsetDelta?: number;
  /** The record fields after offsetDelta, verbatim (default: null key, value "v", no headers). */
  rest?: Buffer;
  /** Replaces the record's true length. */
  length?: number;
}

function rawRecord(record: RawRecord = {}): Buffer {
  const delta = Buffer.alloc(10);
  const body = Buffer.concat([
    Buffer.from([0]),
    delta.subarray(0, writeVarlong(delta, 0, record.timestampDelta ?? 0)),
    varints(record.offsetDelta ?? 0),
    record.rest ?? Buffer.concat([varints(-1, 1), Buffer.from('v'), varints(0)]),
  ]);
  return Buffer.concat([varints(record.length ?? body.length), body]);
}

function corruptionOf(records: Buffer, fields: RawBatchFields = {}): CorruptRecordError {
  try {
    decodeRecordBatch(buildRawBatch(records, fields));
  } catch (error: unknown) {
    if (error instanceof CorruptRecordError) return error;
    throw error;
  }
  throw new Error('the batch decoded');
}

describe('decodeRecordBatch on hand-made batches with a valid CRC', () => {
  it('decodes the well-formed baseline, and an empty batch', () => {
    expect(decodeRecordBatch(buildRawBatch(rawRecord())).records).toHaveLength(1);
    expect(decodeRecordBatch(buildRawBatch(Buffer.alloc(0), { recordCount: 0 })).records).toEqual([]);
  });

  it('refuses a record count the bytes cannot hold, before allocating for it', () => {
    expect(corruptionOf(rawRecord(), { recordCount: 2 ** 31 - 1, lastOffsetDelta: 2 ** 31 - 1 }).message).toMatch(
      /recordCount 2147483647 cannot fit/,
    );
    const twoAndPadding = Buffer.concat([rawRecord(), rawRecord({ offsetDelta: 1 }), Buffer.alloc(7)]);
    expect(corruptionOf(twoAndPadding, { recordCount: 3 }).message).toMatch(/record 2 has length 0/);
  });

  it('refuses negative counts and a lastOffsetDelta below the records', () => {
    expect(corruptionOf(rawRecord(), { recordCount: -1, lastOffsetDelta: 0 }).message).toMatch(/recordCount -1/);
    expect(corruptionOf(rawRecord(), { recordCount: 1, lastOffsetDelta: -1 }).message).toMatch(/lastOffsetDelta -1/);
  });

  it('refuses record lengths that are negative, too small or overrun the batch', () => {
    const negative = corruptionOf(rawRecord({ length: -1 }));
    expect(negative.message).toMatch(/record 0 has length -1/);
    expect(negative.position).toBe(61);
    expect(corruptionOf(rawRecord({ length: 5 })).message).toMatch(/length 5/);
    expect(corruptionOf(rawRecord({ length: 1000 })).message).toMatch(/length 1000/);
  });

  it('refuses key and value lengths that are negative or overrun the record', () => {
    expect(corruptionOf(rawRecord({ rest: Buffer.concat([varints(-2, -1, 0)]) })).message).toMatch(/length of -2/);
    expect(corruptionOf(rawRecord({ rest: Buffer.concat([varints(-1, 4), Buffer.from('v'), varints(0)]) })).message).toMatch(
      /length of 4/,
    );
    // A key that would fit the batch but not its record.
    const overrun = Buffer.concat([rawRecord({ rest: varints(5, 1, 2) }), Buffer.from('padding')]);
    expect(corruptionOf(overrun).message).toMatch(/length of 5 does not fit the 2 bytes left/);
  });

  it('refuses header counts and header lengths that do not fit', () => {
    expect(corruptionOf(rawRecord({ rest: varints(-1, -1, -1) })).message).toMatch(/header count -1/);
    expect(corruptionOf(rawRecord({ rest: varints(-1, -1, 2 ** 30) })).message).toMatch(/header count 1073741824/);
    expect(corruptionOf(rawRecord({ rest: varints(-1, -1, 1, -1, -1) })).message).toMatch(/string length of -1/);
    expect(corruptionOf(rawRecord({ rest: varints(-1, -1, 1, 0, 9) })).message).toMatch(/length of 9/);
  });

  it('refuses bytes left over inside a record and after the last one', () => {
    expect(corruptionOf(rawRecord({ rest: varints(-1, -1, 0, 0) })).message).toMatch(/record 0 has 1 bytes left over/);
    expect(corruptionOf(Buffer.concat([rawRecord(), Buffer.from([0])])).message).toMatch(/1 bytes follow the last of 1/);
  });

  it('refuses offset deltas that repeat, go back or pass lastOffsetDelta', () => {
    const twice = Buffer.concat([rawRecord({ offsetDelta: 0 }), rawRecord({ offsetDelta: 0 })]);
    expect(corruptionOf(twice, { recordCount: 2 }).message).toMatch(/offsetDelta 0, after 0/);
    expect(corruptionOf(rawRecord({ offsetDelta: -1 })).message).toMatch(/offsetDelta -1/);
    expect(corruptionOf(rawRecord({ offsetDelta: 1 })).message).toMatch(/offsetDelta 1, after -1 and up to 0/);
    // Gaps are fine (compaction leaves them), as long as deltas increase within lastOffsetDelta.
    const gaps = Buffer.concat([rawRecord({ offsetDelta: 0 }), rawRecord({ offsetDelta: 5 })]);
    const decoded = decodeRecordBatch(buildRawBatch(gaps, { recordCount: 2, lastOffsetDelta: 7, baseOffset: 10n }));
    expect(decoded.records.map((record) => record.offset)).toEqual([10n, 15n]);
  });

  it('refuses malformed varints inside a record', () => {
    const tooLong = Buffer.concat([varints(11), Buffer.from([0, 0]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), varints(-1, -1, 0)]);
    expect(corruptionOf(tooLong).message).toMatch(/varint/);
  });

  it('refuses timestamps that leave the safe integers', () => {
    expect(corruptionOf(rawRecord({ timestampDelta: 2 ** 52 }), { baseTimestamp: 2 ** 52 }).message).toMatch(
      /record 0 has timestamp/,
    );
    expect(corruptionOf(rawRecord(), { baseTimestamp: 2 ** 53 }).message).toMatch(/not a safe integer/);
  });

  it('uses maxTimestamp for every record under LogAppendTime', () => {
    const records = Buffer.concat([rawRecord({ timestampDelta: -5 }), rawRecord({ offsetDelta: 1, timestampDelta: 9 })]);
    const decoded = decodeRecordBatch(
      buildRawBatch(records, { recordCount: 2, attributes: 0x08, baseTimestamp: 100, maxTimestamp: 777 }),
    );
    expect(decoded.records.map((record) => record.timestamp)).toEqual([777, 777]);
    const createTime = decodeRecordBatch(buildRawBatch(records, { recordCount: 2, baseTimestamp: 100, maxTimestamp: 777 }));
    expect(createTime.records.map((record) => record.timestamp)).toEqual([95, 109]);
  });

  it('refuses gzip sections that do not decompress, and reports the records section', () => {
    const error = corruptionOf(Buffer.from('not gzip at all'), { attributes: 1 });
    expect(error.message).toMatch(/gzip records do not decompress/);
    expect(error.position).toBe(61);
    expect(error.cause).toBeInstanceOf(Error);
    const truncated = gzipSync(rawRecord()).subarray(0, 10);
    expect(corruptionOf(truncated, { attributes: 1 }).message).toMatch(/gzip/);
  });

  it('reports corruption inside decompressed records at the records section', () => {
    const error = corruptionOf(gzipSync(rawRecord({ length: -1 })), { attributes: 1 });
    expect(error.position).toBe(61);
    expect(error.message).toMatch(/byte 0 of the decompressed records/);
  });
});
