import { Prng } from '@eddy/base';
import { describe, expect, it } from 'vitest';
import { partitionForKey } from './murmur2.js';
import { RoundRobinPartitioner, StickyPartitioner } from './partitioner.js';

describe('RoundRobinPartitioner', () => {
  it('spreads unkeyed messages a d g j / b e h / c f i over three partitions', () => {
    const partitioner = new RoundRobinPartitioner();
    const byPartition: string[][] = [[], [], []];
    for (const value of 'abcdefghij') byPartition[partitioner.partition({ topic: 't', key: null, partitionCount: 3 })]!.push(value);
    expect(byPartition.map((values) => values.join(' '))).toEqual(['a d g j', 'b e h', 'c f i']);
  });

  it('keeps a counter per topic and hashes keys', () => {
    const partitioner = new RoundRobinPartitioner();
    expect(partitioner.partition({ topic: 'x', key: null, partitionCount: 2 })).toBe(0);
    expect(partitioner.partition({ topic: 'y', key: null, partitionCount: 2 })).toBe(0);
    const key = Buffer.from('customer-42');
    expect(partitioner.partition({ topic: 'x', key, partitionCount: 5 })).toBe(partitionForKey(key, 5));
  });
});

describe('StickyPartitioner', () => {
  it('sticks to one partition until the batch closes, then moves to another', () => {
    const partitioner = new StickyPartitioner(new Prng(3));
    const first = partitioner.partition({ topic: 't', key: null, partitionCount: 4 });
    for (let i = 0; i < 10; i++) expect(partitioner.partition({ topic: 't', key: null, partitionCount: 4 })).toBe(first);
    for (let round = 0; round < 20; round++) {
      const before = partitioner.partition({ topic: 't', key: null, partitionCount: 4 });
      partitioner.onBatchClosed('t');
      expect(partitioner.partition({ topic: 't', key: null, partitionCount: 4 })).not.toBe(before);
    }
  });

  it('still hashes keyed messages', () => {
    const partitioner = new StickyPartitioner(new Prng(3));
    const key = Buffer.from('k1');
    expect(partitioner.partition({ topic: 't', key, partitionCount: 6 })).toBe(partitionForKey(key, 6));
  });
});
