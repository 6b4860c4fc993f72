import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from './byte-reader.js';
import { CorruptRecordError } from './errors.js';
import { varintBytes, varlongBytes, writeVarint, writeVarlong } from './varint.js';

/** An independent zigzag LEB128 encoder over bigint, as Kafka's ByteUtils specifies it. */
function referenceVarlong(value: bigint): Buffer {
  let zigzag = value >= 0n ? value << 1n : ((-value) << 1n) - 1n;
  const out: number[] = [];
  while (zigzag >= 0x80n) {
    out.push(Number(zigzag & 0x7fn) | 0x80);
    zigzag >>= 7n;
  }
  out.push(Number(zigzag));
  return Buffer.from(out);
}

function encodeVarint(value: number): Buffer {
  const buf = Buffer.alloc(10);
  return buf.subarray(0, writeVarint(buf, 0, value));
}

function encodeVarlong(value: number): Buffer {
  const buf = Buffer.alloc(10);
  return buf.subarray(0, writeVarlong(buf, 0, value));
}

function reader(bytes: readonly number[]): ByteReader {
  const buf = Buffer.from(bytes);
  return new ByteReader(buf, 0, buf.length);
}

describe('varint', () => {
  it.each([
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [300, 'd804'],
    [-300, 'd704'],
    [2 ** 31 - 1, 'feffffff0f'],
    [-(2 ** 31), 'ffffffff0f'],
  ])('writes %d as %s', (value, hex) => {
    expect(encodeVarint(value).toString('hex')).toBe(hex);
    expect(varintBytes(value)).toBe(hex.length / 2);
    expect(reader([...Buffer.from(hex, 'hex')]).varint()).toBe(value);
  });

  it('round-trips every int32 and agrees with the reference encoding', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (value) => {
        const encoded = encodeVarint(value);
        expect(encoded).toEqual(referenceVarlong(BigInt(value)));
        expect(varintBytes(value)).toBe(encoded.length);
        const read = new ByteReader(encoded, 0, encoded.length);
        expect(read.varint()).toBe(value);
        expect(read.position).toBe(encoded.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts overlong but in-range encodings, as Kafka does', () => {
    expect(reader([0x82, 0x80, 0x00]).varint()).toBe(1);
  });

  it('refuses a varint longer than 5 bytes or wider than 32 bits', () => {
    expect(() => reader([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]).varint()).toThrow(CorruptRecordError);
    expect(() => reader([0xff, 0xff, 0xff, 0xff, 0x10]).varint()).toThrow(/overflows 32 bits/);
  });

  it('refuses a varint cut short, at every length', () => {
    const encoded = [...encodeVarint(-(2 ** 31))];
    for (let length = 0; length < encoded.length; length++) {
      expect(() => reader(encoded.slice(0, length)).varint()).toThrow(CorruptRecordError);
    }
  });
});

describe('varlong', () => {
  const safeInteger = fc.oneof(
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n) => n * 2 ** 20 + 12345),
    fc.maxSafeInteger(),
    fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 31, -(2 ** 31) - 1, 2 ** 48, -(2 ** 48)),
  );

  it('round-trips safe integers and agrees with the reference encoding', () => {
    fc.assert(
      fc.property(safeInteger, (value) => {
        const encoded = encodeVarlong(value);
        expect(encoded).toEqual(referenceVarlong(BigInt(value)));
        expect(varlongBytes(value)).toBe(encoded.length);
        const read = new ByteReader(encoded, 0, encoded.length);
        expect(read.varlong()).toBe(value);
        expect(read.position).toBe(encoded.length);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses values outside the safe integers, and more than 64 bits', () => {
    const tooBig = referenceVarlong(2n ** 53n);
    expect(() => new ByteReader(tooBig, 0, tooBig.length).varlong()).toThrow(/not a safe integer/);
    const int64Min = referenceVarlong(-(2n ** 63n));
    expect(() => new ByteReader(int64Min, 0, int64Min.length).varlong()).toThrow(CorruptRecordError);
    expect(() => reader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]).varlong()).toThrow(
      /overflows 64 bits/,
    );
    expect(() => reader(new Array<number>(11).fill(0x80)).varlong()).toThrow(CorruptRecordError);
  });

  it('refuses a varlong cut short, at every length', () => {
    const encoded = [...encodeVarlong(Number.MIN_SAFE_INTEGER)];
    for (let length = 0; length < encoded.length; length++) {
      expect(() => reader(encoded.slice(0, length)).varlong()).toThrow(CorruptRecordError);
    }
  });
});

describe('ByteReader', () => {
  it('reads nullable bytes as views and strings as UTF-8', () => {
    const buf = Buffer.from([0x01, 0x04, 0x61, 0x62, 0x06, 0xc3, 0xa9, 0x21]);
    const read = new ByteReader(buf, 0, buf.length);
    expect(read.nullableBytes()).toBeNull();
    const bytes = read.nullableBytes();
    expect(bytes?.toString()).toBe('ab');
    expect(bytes?.buffer).toBe(buf.buffer);
    expect(read.string()).toBe('é!');
    expect(read.remaining).toBe(0);
  });

  it('refuses negative and overrunning lengths', () => {
    expect(() => reader([0x03]).nullableBytes()).toThrow(/length of -2/);
    expect(() => reader([0x08, 0x61]).nullableBytes()).toThrow(/length of 4/);
    expect(() => reader([0x01]).string()).toThrow(/string length of -1/);
    expect(() => reader([0x00]).skip(2)).toThrow(CorruptRecordError);
  });

  it('reports positions inside a decompressed section against a fixed batch position', () => {
    const buf = Buffer.from([0x00, 0x80]);
    const read = new ByteReader(buf, 1, 2, 61);
    const error = (() => {
      try {
        read.varint();
      } catch (caught: unknown) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CorruptRecordError);
    expect(error).toMatchObject({ position: 61, code: 'CORRUPT_RECORD', retriable: false });
    expect((error as Error).message).toMatch(/byte 1 of the decompressed records/);
  });
});
