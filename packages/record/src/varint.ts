import { isInt32 } from './ints.js';

/**
 * Kafka's zigzag varints, write side: `varint` is a zigzag-encoded int32 in 1-5 bytes, `varlong`
 * a zigzag-encoded int64 in 1-10 bytes, both little-endian base-128. Values here are JS numbers:
 * varints must be int32, varlongs safe integers. Int32-sized varlongs (the common case: the
 * timestamp delta inside one batch) take the same fast path as varints. Reading is in
 * `byte-reader.ts`.
 */

/** Encoded size of an int32 as a zigzag varint. */
export function varintBytes(value: number): number {
  const zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  if (zigzag < 0x80) return 1;
  if (zigzag < 0x4000) return 2;
  if (zigzag < 0x20_0000) return 3;
  if (zigzag < 0x1000_0000) return 4;
  return 5;
}

/** Writes an int32 as a zigzag varint at `position`; returns the position after it. */
export function writeVarint(buf: Uint8Array, position: number, value: number): number {
  let zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  while (zigzag >= 0x80) {
    buf[position++] = (zigzag & 0x7f) | 0x80;
    zigzag >>>= 7;
  }
  buf[position++] = zigzag;
  return position;
}

/** Encoded size of a safe integer as a zigzag varlong. */
export function varlongBytes(value: number): number {
  if (isInt32(value)) return varintBytes(value);
  let zigzag = zigzagBig(value);
  let bytes = 1;
  while (zigzag >= 0x80n) {
    zigzag >>= 7n;
    bytes++;
  }
  return bytes;
}

/** Writes a safe integer as a zigzag varlong at `position`; returns the position after it. */
export function writeVarlong(buf: Uint8Array, position: number, value: number): number {
  if (isInt32(value)) return writeVarint(buf, position, value);
  let zigzag = zigzagBig(value);
  while (zigzag >= 0x80n) {
    buf[position++] = Number(zigzag & 0x7fn) | 0x80;
    zigzag >>= 7n;
  }
  buf[position++] = Number(zigzag);
  return position;
}

function zigzagBig(value: number): bigint {
  const big = BigInt(value);
  return big >= 0n ? big << 1n : ((-big) << 1n) - 1n;
}
