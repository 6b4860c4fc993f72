import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecordBatch } from './decode.js';
import { encodeRecordBatch } from './encode.js';
import { CorruptRecordError } from './errors.js';
import { iterateBatches } from './iterate-batches.js';
import { buildRawBatch, flipByte } from './testing/index.js';
import type { Compression, RecordBatchLocation } from './types.js';

function collect(buf: Buffer): RecordBatchLocation[] {
  return [...iterateBatches(buf)];
}

/** Iterates until the first error; returns what was yielded and the error. */
function walk(buf: Buffer): { yielded: RecordBatchLocation[]; error: unknown } {
  const yielded: RecordBatchLocation[] = [];
  try {
    for (const location of iterateBatches(buf)) yielded.push(location);
  } catch (error: unknown) {
    return { yielded, error };
  }
  return { yielded, error: undefined };
}

const batchSpec = fc.record({
  count: fc.integer({ min: 1, max: 20 }),
  valueBytes: fc.integer({ min: 0, max: 300 }),
  compression: fc.constantFrom<Compression>('none', 'gzip'),
});

function makeBatches(specs: ReadonlyArray<{ count: number; valueBytes: number; compression: Compression }>): Buffer[] {
  let nextOffset = 0n;
  return specs.map(({ count, valueBytes, compression }) => {
    const batch = encodeRecordBatch(
      Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: Buffer.alloc(valueBytes, i) })),
      { baseOffset: nextOffset, compression, timestampMs: 1_700_000_000_000 },
    );
    nextOffset += BigInt(count);
    return batch;
  });
}

describe('iterateBatches', () => {
  it('yields nothing for an empty buffer', () => {
    expect(collect(Buffer.alloc(0))).toEqual([]);
  });

  it('walks concatenated batches with their positions, sizes and headers', () => {
    fc.assert(
      fc.property(fc.array(batchSpec, { maxLength: 8 }), (specs) => {
        const batches = makeBatches(specs);
        const buf = Buffer.concat(batches);
        const locations = collect(buf);
        expect(locations.map((location) => location.size)).toEqual(batches.map((batch) => batch.length));
        let position = 0;
        locations.forEach((location, index) => {
          expect(location.position).toBe(position);
          const slice = buf.subarray(location.position, location.position + location.size);
          expect(slice.equals(batches[index] as Buffer)).toBe(true);
          expect(location.header).toEqual(decodeRecordBatch(slice).header);
          position += location.size;
        });
      }),
      { numRuns: 100 },
    );
  });

  it('yields the intact prefix, then throws at the start of a torn tail', () => {
    fc.assert(
      fc.property(fc.array(batchSpec, { minLength: 1, maxLength: 5 }), fc.nat(), (specs, cut) => {
        const batches = makeBatches(specs);
        const buf = Buffer.concat(batches);
        const last = batches[batches.length - 1] as Buffer;
        const lastStart = buf.length - last.length;
        const torn = buf.subarray(0, lastStart + 1 + (cut % (last.length - 1)));
        const { yielded, error } = walk(torn);
        expect(yielded).toHaveLength(batches.length - 1);
        expect(error).toBeInstanceOf(CorruptRecordError);
        expect(error).toMatchObject({ position: lastStart });
        expect((error as Error).message).toMatch(/torn batch/);
      }),
      { numRuns: 200 },
    );
  });

  it('throws at the start of a corrupt batch in the middle', () => {
    const batches = makeBatches([
      { count: 3, valueBytes: 10, compression: 'none' },
      { count: 2, valueBytes: 50, compression: 'gzip' },
      { count: 4, valueBytes: 5, compression: 'none' },
    ]);
    const second = (batches[0] as Buffer).length;
    const buf = Buffer.concat(batches);
    const corrupt = flipByte(buf, second + 40, 0x01);
    const { yielded, error } = walk(corrupt);
    expect(yielded).toHaveLength(1);
    expect(error).toMatchObject({ code: 'CORRUPT_RECORD', position: second });
    expect((error as Error).message).toMatch(/CRC32C mismatch/);
    // A bad batchLength in the middle is caught from the prefix alone.
    const badLength = Buffer.from(buf);
    badLength.writeInt32BE(3, second + 8);
    expect(walk(badLength).error).toMatchObject({ position: second });
    // A batchLength pointing past a real batch boundary breaks that batch's CRC.
    const longer = Buffer.from(buf);
    longer.writeInt32BE(longer.readInt32BE(second + 8) + 1, second + 8);
    expect(walk(longer).error).toMatchObject({ position: second });
  });

  it('walks batches in codecs it cannot decode: they are intact bytes', () => {
    const snappy = buildRawBatch(Buffer.from('opaque'), { attributes: 2 });
    expect(collect(Buffer.concat([snappy, snappy])).map((location) => location.header.compression)).toEqual([
      'snappy',
      'snappy',
    ]);
  });

  it('never throws anything but CorruptRecordError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (random) => {
        const { error } = walk(Buffer.from(random));
        if (error !== undefined) expect(error).toBeInstanceOf(CorruptRecordError);
      }),
      { numRuns: 1000 },
    );
  });
});
