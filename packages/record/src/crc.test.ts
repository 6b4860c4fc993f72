import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from './crc.js';

/** Bitwise CRC32C (reflected polynomial 0x82F63B78), independent of the native one. */
function referenceCrc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('agrees with a bitwise reference, also on views with an offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(8), (bytes, start) => {
        const view = Buffer.from(bytes).subarray(Math.min(start, bytes.length));
        expect(crc32c(view)).toBe(referenceCrc32c(view));
      }),
    );
  });

  it('continues a checksum across buffers through `initial`', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (a, b) => {
        expect(crc32c(Buffer.from(b), crc32c(Buffer.from(a)))).toBe(crc32c(Buffer.concat([a, b])));
      }),
    );
  });
});
