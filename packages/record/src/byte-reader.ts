import { bufferOver } from './buffer-view.js';
import { CorruptRecordError } from './errors.js';

const TWO_POW_28 = 0x1000_0000;

/**
 * A bounds-checked cursor over `buf[position, end)` that reads Kafka's record fields. Every read
 * that would pass `end`, and every malformed varint, throws `CorruptRecordError`, so a parser
 * built on it cannot read out of bounds, loop on garbage or see a RangeError.
 *
 * Errors report `position` relative to the buffer, or, when `fixedErrorPosition` is given (a
 * decompressed section that has no position in the batch), that position plus a note of the
 * offset inside the section.
 */
export class ByteReader {
  position: number;
  end: number;
  private readonly arrayBuffer: ArrayBufferLike;
  private readonly byteOffset: number;

  constructor(
    readonly buf: Buffer,
    position: number,
    end: number,
    private readonly fixedErrorPosition?: number,
  ) {
    this.position = position;
    this.end = end;
    this.arrayBuffer = buf.buffer;
    this.byteOffset = buf.byteOffset;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  /** A zigzag varint (int32, at most 5 bytes). */
  varint(): number {
    const buf = this.buf;
    const end = this.end;
    let position = this.position;
    if (position >= end) return this.fail('varint runs past the end');
    let byte = buf[position++] as number;
    if (byte < 0x80) {
      this.position = position;
      return (byte >>> 1) ^ -(byte & 1);
    }
    let raw = byte & 0x7f;
    for (let shift = 7; shift <= 28; shift += 7) {
      if (position >= end) return this.fail('varint runs past the end');
      byte = buf[position++] as number;
      if (shift === 28 && byte > 0x0f) return this.fail('varint overflows 32 bits', position - 1);
      raw |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.position = position;
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    return this.fail('varint is longer than 5 bytes', position - 1);
  }

  /** A zigzag varlong (int64, at most 10 bytes) that must be a safe integer. */
  varlong(): number {
    const buf = this.buf;
    const end = this.end;
    let position = this.position;
    // Up to 4 bytes (28 bits): int32 arithmetic, as for varint.
    let raw = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (position >= end) return this.fail('varlong runs past the end');
      const byte = buf[position++] as number;
      raw |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.position = position;
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    // Longer: bytes 5-7 add 21 bits in float arithmetic (49 bits in all, exact); beyond, bigint.
    let high = 0;
    for (let shift = 0; shift < 21; shift += 7) {
      if (position >= end) return this.fail('varlong runs past the end');
      const byte = buf[position++] as number;
      high += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) {
        this.position = position;
        const zigzag = high * TWO_POW_28 + raw;
        return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
      }
    }
    return this.varlongSlow();
  }

  private varlongSlow(): number {
    const buf = this.buf;
    let position = this.position;
    let zigzag = 0n;
    for (let index = 0; index < 10; index++) {
      if (position >= this.end) return this.fail('varlong runs past the end');
      const byte = buf[position++] as number;
      if (index === 9 && byte > 0x01) return this.fail('varlong overflows 64 bits', position - 1);
      zigzag |= BigInt(byte & 0x7f) << BigInt(7 * index);
      if (byte < 0x80) {
        const value = (zigzag & 1n) === 0n ? zigzag >> 1n : -((zigzag + 1n) >> 1n);
        if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
          return this.fail('varlong is not a safe integer', this.position);
        }
        this.position = position;
        return Number(value);
      }
    }
    return this.fail('varlong is longer than 10 bytes', position - 1);
  }

  /** Skips `count` bytes. */
  skip(count: number): void {
    if (count > this.end - this.position) this.fail(`skipping ${count} bytes runs past the end`);
    this.position += count;
  }

  /** `length` bytes as a view into the buffer (no copy). */
  bytes(length: number): Buffer {
    const start = this.position;
    if (length < 0 || length > this.end - start) {
      return this.fail(`a length of ${length} does not fit the ${this.end - start} bytes left`);
    }
    this.position = start + length;
    return bufferOver(this.arrayBuffer, this.byteOffset + start, length);
  }

  /** A varint length (-1 for null) and that many bytes, as a view into the buffer. */
  nullableBytes(): Buffer | null {
    const length = this.varint();
    if (length === -1) return null;
    return this.bytes(length);
  }

  /** A varint length and that many bytes decoded as UTF-8 (malformed sequences become U+FFFD). */
  string(): string {
    const lengthPosition = this.position;
    const length = this.varint();
    const start = this.position;
    if (length < 0 || length > this.end - start) {
      return this.fail(`a string length of ${length} does not fit the ${this.end - start} bytes left`, lengthPosition);
    }
    this.position = start + length;
    return this.buf.toString('utf8', start, start + length);
  }

  /** Throws `CorruptRecordError` at `position` (default: the cursor). */
  fail(message: string, position: number = this.position): never {
    if (this.fixedErrorPosition === undefined) throw new CorruptRecordError(message, { position });
    throw new CorruptRecordError(`${message} (byte ${position} of the decompressed records)`, {
      position: this.fixedErrorPosition,
    });
  }
}
