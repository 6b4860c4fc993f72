/** Range checks and int64-as-number access for the fixed-width header fields. */

const TWO_POW_32 = 0x1_0000_0000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function isInt16(value: number): boolean {
  return Number.isInteger(value) && value >= -0x8000 && value <= 0x7fff;
}

export function isInt32(value: number): boolean {
  return (value | 0) === value;
}

export function isInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

/** Writes a safe integer as a big-endian int64 at `position`. */
export function writeInt64(buf: Buffer, position: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  buf.writeInt32BE(high, position);
  buf.writeUInt32BE(value - high * TWO_POW_32, position + 4);
}

/** Reads a big-endian int64 as a number; exact when the value is a safe integer. */
export function readInt64(buf: Buffer, position: number): number {
  return buf.readInt32BE(position) * TWO_POW_32 + buf.readUInt32BE(position + 4);
}
