/**
 * Kafka's murmur2 (the 32-bit MurmurHash2 variant of `org.apache.kafka.common.utils.Utils`,
 * seed 0x9747b28c), so a key lands on the same partition as with Kafka's default partitioner.
 * Returns a signed 32-bit integer, as Java does.
 */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const tail = length & ~3;
  for (let i = 0; i < tail; i += 4) {
    let k = (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const remaining = length & 3;
  if (remaining >= 3) h ^= (data[tail + 2] as number) << 16;
  if (remaining >= 2) h ^= (data[tail + 1] as number) << 8;
  if (remaining >= 1) {
    h ^= data[tail] as number;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's default partition for a key: toPositive(murmur2(key)) % partitionCount. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}
