import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from './crc.js';
import { decodeRecordBatch } from './decode.js';
import { encodeRecordBatch } from './encode.js';
import { CorruptRecordError, UnsupportedCompressionError } from './errors.js';
import { buildRawBatch, expectedRecords, flipByte, sealBatch } from './testing/index.js';
import type { Compression, EncodeOptions, RecordHeader, RecordHeaderMap, RecordInput } from './types.js';
import { writeVarint, writeVarlong } from './varint.js';
import { verifyBatch } from './verify-batch.js';

// ---- Arbitraries -------------------------------------------------------------------------

const bytes = fc.uint8Array({ maxLength: 48 }).map((array) => Buffer.from(array));
const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const field = fc.oneof(fc.constant(null), bytes, text);
const headerList = fc.array(
  fc.record({ key: text, value: fc.oneof(fc.constant(null), bytes) }),
  { maxLength: 4 },
);
const headerMap = fc.dictionary(text, fc.oneof(bytes, text), { maxKeys: 4 });
/** Any two differ by at most 2^53 - 2 ms, so every batch of them encodes. */
const timestamp = fc.oneof(
  fc.integer({ min: -1, max: 2_000_000_000_000 }),
  fc.integer({ min: -(2 ** 52) + 1, max: 2 ** 52 - 1 }),
);
const recordInput: fc.Arbitrary<RecordInput> = fc.record(
  { key: field, value: field, headers: fc.oneof(headerList, headerMap), timestamp },
  { requiredKeys: ['value'] },
);
const compression = fc.constantFrom<Compression>('none', 'gzip');
const encodeOptions = (compressionArb: fc.Arbitrary<Compression>): fc.Arbitrary<EncodeOptions> =>
  fc.record(
    {
      baseOffset: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
      partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      compression: compressionArb,
      producerId: fc.bigInt({ min: -1n, max: 2n ** 63n - 1n }),
      producerEpoch: fc.integer({ min: -1, max: 32767 }),
      baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      timestampMs: timestamp,
    },
    { requiredKeys: [] },
  );
const batchInput = fc.record({
  records: fc.array(recordInput, { minLength: 1, maxLength: 12 }),
  options: encodeOptions(compression),
});

// ---- An independent reference encoder ----------------------------------------------------

function zigzagVarint(value: bigint): number[] {
  let zigzag = value >= 0n ? value << 1n : ((-value) << 1n) - 1n;
  const out: number[] = [];
  while (zigzag >= 0x80n) {
    out.push(Number(zigzag & 0x7fn) | 0x80);
    zigzag >>= 7n;
  }
  out.push(Number(zigzag));
  return out;
}

function bigEndian(value: bigint, size: number): number[] {
  const unsigned = BigInt.asUintN(size * 8, value);
  return Array.from({ length: size }, (_, index) => Number((unsigned >> BigInt(8 * (size - 1 - index))) & 0xffn));
}

function lengthPrefixed(data: Buffer | string | null | undefined): number[] {
  if (data === null || data === undefined) return zigzagVarint(-1n);
  const raw = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return [...zigzagVarint(BigInt(raw.length)), ...raw];
}

/** Kafka's v2 layout written field by field from the spec, uncompressed, for comparison. */
function referenceEncode(records: readonly RecordInput[], options: EncodeOptions): Buffer {
  const timestamps = records.map((record) => BigInt(record.timestamp ?? options.timestampMs ?? -1));
  const base = timestamps[0] as bigint;
  const max = timestamps.reduce((a, b) => (b > a ? b : a));
  const section: number[] = [];
  records.forEach((record, index) => {
    const headers: Array<[string, Buffer | string | null]> =
      record.headers === undefined
        ? []
        : Array.isArray(record.headers)
          ? (record.headers as readonly RecordHeader[]).map((header) => [header.key, header.value])
          : Object.entries(record.headers as RecordHeaderMap);
    const body = [
      0,
      ...zigzagVarint((timestamps[index] as bigint) - base),
      ...zigzagVarint(BigInt(index)),
      ...lengthPrefixed(record.key),
      ...lengthPrefixed(record.value),
      ...zigzagVarint(BigInt(headers.length)),
      ...headers.flatMap(([key, value]) => [...lengthPrefixed(key), ...lengthPrefixed(value)]),
    ];
    section.push(...zigzagVarint(BigInt(body.length)), ...body);
  });
  const batch = Buffer.from([
    ...bigEndian(options.baseOffset ?? 0n, 8),
    ...bigEndian(BigInt(49 + section.length), 4),
    ...bigEndian(BigInt(options.partitionLeaderEpoch ?? -1), 4),
    2,
    0, 0, 0, 0, // crc, below
    ...bigEndian(0n, 2),
    ...bigEndian(BigInt(records.length - 1), 4),
    ...bigEndian(base, 8),
    ...bigEndian(max, 8),
    ...bigEndian(options.producerId ?? -1n, 8),
    ...bigEndian(BigInt(options.producerEpoch ?? -1), 2),
    ...bigEndian(BigInt(options.baseSequence ?? -1), 4),
    ...bigEndian(BigInt(records.length), 4),
    ...section,
  ]);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

// ---- Helpers -----------------------------------------------------------------------------

/** Runs `decode` and fails the test on any error that is not one of the codec's own. */
function decodesOrRefuses(batch: Buffer): ReturnType<typeof decodeRecordBatch> | undefined {
  try {
    return decodeRecordBatch(batch);
  } catch (error: unknown) {
    if (error instanceof CorruptRecordError || error instanceof UnsupportedCompressionError) return undefined;
    throw error;
  }
}

function expectCorrupt(action: () => unknown): void {
  expect(action).toThrow(CorruptRecordError);
}

/** Offsets strictly increase and stay within the batch, as decode promises. */
function expectConsistent(decoded: ReturnType<typeof decodeRecordBatch>): void {
  expect(decoded.records.length).toBe(decoded.header.recordCount);
  let previous = decoded.header.baseOffset - 1n;
  for (const record of decoded.records) {
    expect(record.offset).toBeGreaterThan(previous);
    expect(record.offset).toBeLessThanOrEqual(decoded.header.baseOffset + BigInt(decoded.header.lastOffsetDelta));
    previous = record.offset;
  }
}

const UNCOVERED = new Set([0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]);

/** A flip of `position`: undetectable (and only visible in baseOffset/epoch) or CorruptRecordError. */
function checkFlip(batch: Buffer, position: number, mask: number): void {
  const original = decodeRecordBatch(batch);
  const flipped = flipByte(batch, position, mask);
  if (!UNCOVERED.has(position)) {
    expectCorrupt(() => decodeRecordBatch(flipped));
    expectCorrupt(() => verifyBatch(flipped));
    return;
  }
  const decoded = decodeRecordBatch(flipped);
  const baseOffset = flipped.readBigInt64BE(0);
  const partitionLeaderEpoch = flipped.readInt32BE(12);
  expect(baseOffset !== original.header.baseOffset || partitionLeaderEpoch !== original.header.partitionLeaderEpoch).toBe(
    true,
  );
  expect(decoded.header).toEqual({ ...original.header, baseOffset, partitionLeaderEpoch });
  expect(decoded.records).toEqual(
    original.records.map((record) => ({
      ...record,
      offset: record.offset - original.header.baseOffset + baseOffset,
    })),
  );
}

// ---- Properties --------------------------------------------------------------------------

describe('RecordBatch properties', () => {
  it('random batches survive encode → decode exactly, with either compression', () => {
    fc.assert(
      fc.property(batchInput, ({ records, options }) => {
        const batch = encodeRecordBatch(records, options);
        const decoded = decodeRecordBatch(batch);
        expect(decoded.records).toEqual(expectedRecords(records, options));
        expect(decoded.header).toMatchObject({
          baseOffset: options.baseOffset ?? 0n,
          partitionLeaderEpoch: options.partitionLeaderEpoch ?? -1,
          compression: options.compression ?? 'none',
          producerId: options.producerId ?? -1n,
          producerEpoch: options.producerEpoch ?? -1,
          baseSequence: options.baseSequence ?? -1,
          recordCount: records.length,
        });
        expect(verifyBatch(batch)).toEqual(decoded.header);
      }),
      { numRuns: 300 },
    );
  });

  it('uncompressed batches are byte for byte what a reference encoder of the spec writes', () => {
    fc.assert(
      fc.property(fc.array(recordInput, { minLength: 1, maxLength: 12 }), encodeOptions(fc.constant('none')), (records, options) => {
        expect(encodeRecordBatch(records, options).toString('hex')).toBe(referenceEncode(records, options).toString('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('every single-bit and whole-byte flip of a fixed batch is detected, but for baseOffset and epoch', () => {
    const records: RecordInput[] = [
      { key: 'k', value: 'v', headers: { h: 'x' }, timestamp: 1_700_000_000_000 },
      { value: null, timestamp: 1_700_000_000_123 },
      { key: Buffer.from([0, 255]), value: 'the third', headers: [{ key: 'n', value: null }] },
    ];
    for (const compressionName of ['none', 'gzip'] as const) {
      const batch = encodeRecordBatch(records, { compression: compressionName, baseOffset: 100n, partitionLeaderEpoch: 3 });
      for (let position = 0; position < batch.length; position++) {
        for (const mask of [1, 2, 4, 8, 16, 32, 64, 128, 0xff]) checkFlip(batch, position, mask);
      }
    }
  });

  it('any flipped byte anywhere in a random batch is detected, but for baseOffset and epoch', () => {
    fc.assert(
      fc.property(batchInput, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ records, options }, at, mask) => {
        const batch = encodeRecordBatch(records, options);
        checkFlip(batch, at % batch.length, mask);
      }),
      { numRuns: 500 },
    );
  });

  it('every truncation is CorruptRecordError', () => {
    fc.assert(
      fc.property(batchInput, ({ records, options }) => {
        const batch = encodeRecordBatch(records, options);
        for (let length = 0; length < batch.length; length++) {
          const torn = batch.subarray(0, length);
          expectCorrupt(() => decodeRecordBatch(torn));
          expectCorrupt(() => verifyBatch(torn));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('random bytes are refused with codec errors only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (random) => {
        const decoded = decodesOrRefuses(Buffer.from(random));
        if (decoded !== undefined) expectConsistent(decoded);
      }),
      { numRuns: 2000 },
    );
  });

  it('random records behind a valid header and CRC are refused with codec errors only', () => {
    // Sections made of plausible varints (small, negative, huge, malformed) reach deep into the parser.
    const token = fc.oneof(
      fc.integer({ min: -3, max: 40 }).map((value) => varint(value)),
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((value) => varint(value)),
      fc.maxSafeInteger().map((value) => varlong(value)),
      fc.uint8Array({ maxLength: 8 }).map((array) => Buffer.from(array)),
    );
    fc.assert(
      fc.property(
        fc.array(token, { maxLength: 40 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: -1, max: 8 }),
        fc.integer({ min: -1, max: 10 }),
        fc.boolean(),
        (tokens, recordCount, lastOffsetDeltaExtra, attributesLow, gzip) => {
          const section = Buffer.concat(tokens);
          const batch = buildRawBatch(gzip ? gzipSync(section) : section, {
            recordCount,
            lastOffsetDelta: recordCount - 1 + lastOffsetDeltaExtra,
            attributes: gzip ? 1 : Math.max(attributesLow, 0) & 0x38,
            baseTimestamp: 1_000,
            maxTimestamp: 2_000,
          });
          const decoded = decodesOrRefuses(batch);
          if (decoded !== undefined) expectConsistent(decoded);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('mutated records sections with a recomputed CRC are refused with codec errors only', () => {
    const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('set', 'insert', 'delete'), byte: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(batchInput, fc.array(edit, { minLength: 1, maxLength: 4 }), ({ records, options }, edits) => {
        const batch = encodeRecordBatch(records, options);
        const header = batch.subarray(0, 61);
        let section = options.compression === 'gzip' ? gunzipSync(batch.subarray(61)) : Buffer.from(batch.subarray(61));
        for (const { at, kind, byte } of edits) {
          const position = section.length === 0 ? 0 : at % section.length;
          if (kind === 'set' && section.length > 0) section[position] = byte;
          if (kind === 'insert') section = Buffer.concat([section.subarray(0, position), Buffer.from([byte]), section.subarray(position)]);
          if (kind === 'delete') section = Buffer.concat([section.subarray(0, position), section.subarray(position + 1)]);
        }
        const body = options.compression === 'gzip' ? gzipSync(section) : section;
        const decoded = decodesOrRefuses(sealBatch(Buffer.concat([header, body])));
        if (decoded !== undefined) expectConsistent(decoded);
      }),
      { numRuns: 1000 },
    );
  });
});

function varint(value: number): Buffer {
  const buf = Buffer.alloc(5);
  return buf.subarray(0, writeVarint(buf, 0, value));
}

function varlong(value: number): Buffer {
  const buf = Buffer.alloc(10);
  return buf.subarray(0, writeVarlong(buf, 0, value));
}
