import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from './murmur2.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('murmur2', () => {
  it.each([
    // Kafka's own UtilsTest vectors.
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
    // Values other Kafka-compatible clients check against Kafka's implementation.
    ['1', -1993445489],
    ['12', 126087238],
    ['123', -267702483],
    ['1234', -1614185708],
    ['12345', -1188365604],
  ])('hashes %j like Kafka', (key, expected) => {
    expect(murmur2(bytes(key))).toBe(expected);
  });

  it('maps keys to non-negative partitions below the count, the same way every time', () => {
    for (const key of ['a', 'b', 'orders-1', '']) {
      const partition = partitionForKey(bytes(key), 7);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(7);
      expect(partitionForKey(bytes(key), 7)).toBe(partition);
    }
    expect(partitionForKey(bytes('21'), 3)).toBe((-973932308 & 0x7fffffff) % 3);
  });
});
