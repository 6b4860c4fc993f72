import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/**
 * CRC32C (Castagnoli), as Kafka's v2 batches use, over `data`. Pass the previous result as
 * `initial` to continue a checksum across several buffers. Returns an unsigned 32-bit value.
 */
export function crc32c(data: Uint8Array, initial?: number): number {
  return nativeCrc32c(data, initial) >>> 0;
}
