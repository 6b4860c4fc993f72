import { gzipSync } from 'node:zlib';
import { AssertionError } from '@eddy/base';
import { describe, expect, it } from 'vitest';
import { batchSizeAt, readBatchHeader, stampBatch } from './batch-header.js';
import { crc32c } from './crc.js';
import { decodeRecordBatch } from './decode.js';
import { encodeRecordBatch, recordBytesUpperBound } from './encode.js';
import { CorruptRecordError, InvalidRecordError, RecordBatchTooLargeError, UnsupportedCompressionError } from './errors.js';
import { RECORD_BATCH_HEADER_BYTES, RECORD_BATCH_MAGIC } from './layout.js';
import { recordsBytesMax } from './limits.js';
import { buildRawBatch, expectedRecords } from './testing/index.js';
import type { Compression, EncodeOptions, Record, RecordInput } from './types.js';
import { verifyBatch } from './verify-batch.js';

/** Records with their bytes as hex: vitest compares big strings far faster than big Buffers. */
function comparable(records: readonly Record[]): unknown[] {
  const hex = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString('hex'));
  return records.map((record) => ({
    ...record,
    key: hex(record.key),
    value: hex(record.value),
    headers: record.headers.map((header) => ({ key: header.key, value: hex(header.value) })),
  }));
}

function roundTrip(records: RecordInput[], options: EncodeOptions = {}): void {
  const batch = encodeRecordBatch(records, options);
  const decoded = decodeRecordBatch(batch);
  expect(comparable(decoded.records)).toEqual(comparable(expectedRecords(records, options)));
  expect(decoded.header).toMatchObject({
    baseOffset: options.baseOffset ?? 0n,
    batchLength: batch.length - 12,
    magic: RECORD_BATCH_MAGIC,
    compression: options.compression ?? 'none',
    lastOffsetDelta: records.length - 1,
    recordCount: records.length,
  });
  expect(verifyBatch(batch)).toEqual(decoded.header);
}

/** A batch written by a Kafka broker: gzip, LogAppendTime, one record "key-0" → "value-0-...". */
const kafkaWrittenBatch = Buffer.from(
  '0000000000000000000000710000000002e4c324a500090000000000000173edf5ffa700000173edf5ffc9ffff' +
    'ffffffffffff000000000000000000011f8b08000000000000130b636060e0ca4eadd43570284bcc294dd535d0' +
    '35323032d035b0d03534093134b73234b632b0d033b3308a620000b5e3f1a72c000000',
  'hex',
);

describe.each<Compression>(['none', 'gzip'])('encode → decode with compression %s', (compression) => {
  it('keeps null keys and values, empty values and defaults', () => {
    roundTrip(
      [
        { value: null },
        { key: null, value: Buffer.alloc(0) },
        { key: '', value: '' },
        { key: Buffer.from([0, 1, 2]), value: Buffer.from([255]) },
      ],
      { compression },
    );
  });

  it('keeps headers given as a map or a list, with null and duplicate keys', () => {
    roundTrip(
      [
        { value: 'a', headers: { trace: 'abc', bin: Buffer.from([1, 2, 3]), empty: '' } },
        {
          value: 'b',
          headers: [
            { key: 'dup', value: Buffer.from('1') },
            { key: 'dup', value: null },
            { key: '', value: Buffer.alloc(0) },
          ],
        },
        { value: 'c', headers: [] },
        { value: 'd', headers: {} },
      ],
      { compression },
    );
  });

  it('keeps unicode keys, values and header keys', () => {
    roundTrip(
      [{ key: 'clé 🔑', value: 'värde — 值 — 🚀', headers: { 'ключ-🙂': 'значение' } }, { value: '\u0000\uffff' }],
      { compression },
    );
  });

  it('keeps many records with their offsets and timestamps', () => {
    const records = Array.from({ length: 5000 }, (_, i) => ({
      key: `key-${i}`,
      value: Buffer.alloc(i % 50, i),
      timestamp: 1_700_000_000_000 + (i % 7) * 1000 - 3000,
    }));
    roundTrip(records, { compression, baseOffset: 1_000_000_000_000n, timestampMs: 5 });
  });

  it('keeps big values', () => {
    const big = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    roundTrip([{ value: big }, { key: big.subarray(0, 70_000), value: 'x' }], { compression });
  });

  it('keeps producer fields, epochs and timestamps far from each other', () => {
    roundTrip(
      [
        { value: 'a', timestamp: 2 ** 52 - 5 },
        { value: 'b', timestamp: 1 },
        { value: 'c' },
        { value: 'd', timestamp: -(2 ** 40) },
      ],
      {
        compression,
        baseOffset: 2n ** 62n,
        partitionLeaderEpoch: 2 ** 31 - 1,
        producerId: 2n ** 63n - 1n,
        producerEpoch: 32767,
        baseSequence: 2 ** 31 - 1,
        timestampMs: 1_700_000_000_000,
      },
    );
  });

  it('records the first timestamp as base and the largest as max', () => {
    const header = verifyBatch(
      encodeRecordBatch([{ value: 'a', timestamp: 500 }, { value: 'b', timestamp: 900 }, { value: 'c', timestamp: 100 }], {
        compression,
      }),
    );
    expect(header).toMatchObject({ baseTimestamp: 500, maxTimestamp: 900 });
  });

  it('survives stamping: baseOffset and epoch change, the CRC still holds', () => {
    const records = [{ value: 'a' }, { value: 'b' }, { value: 'c' }];
    const batch = encodeRecordBatch(records, { compression, timestampMs: 42 });
    const crcBefore = batch.readUInt32BE(17);
    stampBatch(batch, 9_007_199_254_740_993n, 17);
    expect(batch.readUInt32BE(17)).toBe(crcBefore);
    const decoded = decodeRecordBatch(batch);
    expect(decoded.header).toMatchObject({ baseOffset: 9_007_199_254_740_993n, partitionLeaderEpoch: 17 });
    expect(decoded.records.map((record) => record.offset)).toEqual([
      9_007_199_254_740_993n,
      9_007_199_254_740_994n,
      9_007_199_254_740_995n,
    ]);
    expect(decoded.records).toEqual(expectedRecords(records, { baseOffset: 9_007_199_254_740_993n, timestampMs: 42 }));
  });
});

describe('the v2 layout', () => {
  it('writes Kafka’s header fields at Kafka’s positions', () => {
    const batch = encodeRecordBatch([{ key: 'k', value: 'v', timestamp: 1000 }, { value: null, timestamp: 1007 }], {
      baseOffset: 0x0102030405060708n,
      partitionLeaderEpoch: 0x0a0b0c0d,
      producerId: 77n,
      producerEpoch: 3,
      baseSequence: 9,
    });
    expect(batch.readBigInt64BE(0)).toBe(0x0102030405060708n);
    expect(batch.readInt32BE(8)).toBe(batch.length - 12);
    expect(batch.readInt32BE(12)).toBe(0x0a0b0c0d);
    expect(batch.readInt8(16)).toBe(2);
    expect(batch.readUInt32BE(17)).toBe(crc32c(batch.subarray(21)));
    expect(batch.readInt16BE(21)).toBe(0);
    expect(batch.readInt32BE(23)).toBe(1);
    expect(batch.readBigInt64BE(27)).toBe(1000n);
    expect(batch.readBigInt64BE(35)).toBe(1007n);
    expect(batch.readBigInt64BE(43)).toBe(77n);
    expect(batch.readInt16BE(51)).toBe(3);
    expect(batch.readInt32BE(53)).toBe(9);
    expect(batch.readInt32BE(57)).toBe(2);
    // Record 0: length 8, attributes 0, timestampDelta 0, offsetDelta 0, key "k", value "v", no headers.
    // Record 1: length 6, attributes 0, timestampDelta 7, offsetDelta 1, key null, value null, no headers.
    expect(batch.subarray(61).toString('hex')).toBe('10' + '000000026b027600' + '0c' + '000e02010100');
  });

  it('sets the gzip bits and compresses the records section as a whole', () => {
    const batch = encodeRecordBatch([{ value: 'x'.repeat(10_000) }], { compression: 'gzip' });
    expect(batch.readInt16BE(21) & 0x07).toBe(1);
    expect(batch.length).toBeLessThan(200);
    expect(batch.subarray(61, 63).toString('hex')).toBe('1f8b');
  });

  it('decodes a batch written by a Kafka broker (gzip, LogAppendTime)', () => {
    const { header, records } = decodeRecordBatch(kafkaWrittenBatch);
    expect(header).toMatchObject({
      baseOffset: 0n,
      partitionLeaderEpoch: 0,
      compression: 'gzip',
      attributes: 0x09,
      baseTimestamp: 1597425188775,
      maxTimestamp: 1597425188809,
      producerId: -1n,
      recordCount: 1,
    });
    // Under LogAppendTime every record carries the batch's maxTimestamp.
    expect(records).toEqual([
      {
        offset: 0n,
        timestamp: 1597425188809,
        key: Buffer.from('key-0'),
        value: Buffer.from('value-0-2020-08-14T17:13:08.682Z'),
        headers: [],
      },
    ]);
  });
});

describe('readBatchHeader and batchSizeAt', () => {
  const batch = encodeRecordBatch([{ value: 'hello' }], { baseOffset: 3n });
  const twoBatches = Buffer.concat([Buffer.alloc(5), batch, batch]);

  it('reads a header at a position without the records', () => {
    expect(readBatchHeader(twoBatches, 5 + batch.length)).toEqual(verifyBatch(batch));
    expect(readBatchHeader(batch.subarray(0, RECORD_BATCH_HEADER_BYTES)).baseOffset).toBe(3n);
  });

  it('refuses fewer than 61 bytes and a bad magic', () => {
    expect(() => readBatchHeader(batch.subarray(0, 60))).toThrow(CorruptRecordError);
    const badMagic = Buffer.from(batch);
    badMagic[16] = 1;
    expect(() => readBatchHeader(badMagic)).toThrow(/magic is 1/);
  });

  it('sizes a batch from its 12-byte prefix', () => {
    expect(batchSizeAt(twoBatches, 5)).toBe(batch.length);
    expect(batchSizeAt(twoBatches, 5 + batch.length)).toBe(batch.length);
    expect(batchSizeAt(batch.subarray(0, 12), 0)).toBe(batch.length);
    expect(batchSizeAt(batch.subarray(0, 11), 0)).toBeUndefined();
    expect(batchSizeAt(twoBatches, twoBatches.length)).toBeUndefined();
  });

  it('refuses a batchLength that cannot be a batch', () => {
    const prefix = Buffer.alloc(12);
    prefix.writeInt32BE(48, 8);
    expect(() => batchSizeAt(prefix, 0)).toThrow(CorruptRecordError);
    prefix.writeInt32BE(-1, 8);
    expect(() => batchSizeAt(prefix, 0)).toThrow(CorruptRecordError);
    prefix.writeInt32BE(2 ** 31 - 1, 8);
    expect(() => batchSizeAt(prefix, 0)).toThrow(/batchLength 2147483647/);
  });

  it('treats a position outside the buffer as a bug', () => {
    expect(() => batchSizeAt(batch, batch.length + 1)).toThrow(AssertionError);
    expect(() => readBatchHeader(batch, -1)).toThrow(AssertionError);
  });
});

describe('verifyBatch', () => {
  const batch = encodeRecordBatch([{ value: 'hello' }, { value: 'world' }]);

  it('returns the header of an intact batch', () => {
    expect(verifyBatch(batch)).toMatchObject({ recordCount: 2, crc: batch.readUInt32BE(17) });
  });

  it('refuses trailing or missing bytes', () => {
    expect(() => verifyBatch(Buffer.concat([batch, Buffer.alloc(1)]))).toThrow(/does not match/);
    expect(() => verifyBatch(batch.subarray(0, batch.length - 1))).toThrow(/does not match/);
  });

  it('refuses snappy, lz4 and zstd, but decodes nothing to do so', () => {
    for (const [code, name] of [
      [2, 'snappy'],
      [3, 'lz4'],
      [4, 'zstd'],
    ] as const) {
      const raw = buildRawBatch(Buffer.from('not really compressed'), { attributes: code });
      expect(() => verifyBatch(raw)).toThrow(UnsupportedCompressionError);
      expect(() => decodeRecordBatch(raw)).toThrow(UnsupportedCompressionError);
      expect(readBatchHeader(raw).compression).toBe(name);
      const error = (() => {
        try {
          decodeRecordBatch(raw);
        } catch (caught: unknown) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toMatchObject({ code: 'UNSUPPORTED_COMPRESSION_TYPE', compression: name, retriable: false });
    }
  });

  it('refuses the undefined compression codes 5-7 as corrupt', () => {
    for (const code of [5, 6, 7]) {
      expect(() => verifyBatch(buildRawBatch(Buffer.alloc(7), { attributes: code }))).toThrow(CorruptRecordError);
    }
  });
});

describe('encode limits and invalid input', () => {
  it('refuses timestamps that are not safe integers', () => {
    expect(() => encodeRecordBatch([{ value: 'a', timestamp: 1.5 }])).toThrow(InvalidRecordError);
    expect(() => encodeRecordBatch([{ value: 'a', timestamp: Number.NaN }])).toThrow(InvalidRecordError);
    expect(() =>
      encodeRecordBatch([
        { value: 'a', timestamp: Number.MIN_SAFE_INTEGER },
        { value: 'b', timestamp: Number.MAX_SAFE_INTEGER },
      ]),
    ).toThrow(/too far apart/);
  });

  it('refuses a batch larger than the limit before allocating it', () => {
    const big = Buffer.allocUnsafe(recordsBytesMax / 2);
    const error = (() => {
      try {
        encodeRecordBatch([{ value: big }, { value: big }]);
      } catch (caught: unknown) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RecordBatchTooLargeError);
    expect(error).toMatchObject({ code: 'MESSAGE_TOO_LARGE', retriable: false });
  });

  it('treats an empty batch and out-of-range options as bugs', () => {
    expect(() => encodeRecordBatch([])).toThrow(AssertionError);
    expect(() => encodeRecordBatch([{ value: 'a' }], { producerEpoch: 40_000 })).toThrow(AssertionError);
    expect(() => encodeRecordBatch([{ value: 'a' }], { baseOffset: 2n ** 63n })).toThrow(AssertionError);
    expect(() => encodeRecordBatch([{ value: 'a' }], { partitionLeaderEpoch: 2 ** 31 })).toThrow(AssertionError);
  });

  it('bounds a record’s encoded size from above', () => {
    const records: RecordInput[] = [
      { value: null },
      { key: 'ключ', value: Buffer.alloc(300), headers: { a: 'b', c: Buffer.alloc(200) } },
      { value: 'x', headers: [{ key: 'h', value: null }], timestamp: 2 ** 45 },
    ];
    const bound = records.reduce((sum, record) => sum + recordBytesUpperBound(record), RECORD_BATCH_HEADER_BYTES);
    const actual = encodeRecordBatch(records, { timestampMs: 0 }).length;
    expect(actual).toBeLessThanOrEqual(bound);
    expect(bound - actual).toBeLessThanOrEqual(records.length * 19);
  });
});

describe('stampBatch', () => {
  it('treats stamping something that is not a batch, or out-of-range values, as a bug', () => {
    const batch = encodeRecordBatch([{ value: 'a' }]);
    expect(() => stampBatch(batch.subarray(0, 60), 1n, 1)).toThrow(AssertionError);
    expect(() => stampBatch(batch, -(2n ** 63n) - 1n, 1)).toThrow(AssertionError);
    expect(() => stampBatch(batch, 1n, 2 ** 31)).toThrow(AssertionError);
    expect(() => stampBatch(batch, 1n, 0.5)).toThrow(AssertionError);
  });
});

describe('decompression is bounded', () => {
  it('refuses a gzip section that inflates beyond recordsBytesMax', () => {
    const bomb = gzipSync(Buffer.alloc(recordsBytesMax + 1), { level: 9 });
    const batch = buildRawBatch(bomb, { attributes: 1 });
    expect(batch.length).toBeLessThan(200_000);
    expect(() => decodeRecordBatch(batch)).toThrow(CorruptRecordError);
  });
});
