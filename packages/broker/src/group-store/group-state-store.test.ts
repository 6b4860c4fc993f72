import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupStateStore } from './group-state-store.js';
import { decodeOffsetsTopicRecord, encodeOffsetsTopicRecord, type OffsetsTopicRecord } from './offsets-topic-records.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'eddy-groups-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const commit = (group: string, topic: string, partition: number, offset: bigint): OffsetsTopicRecord => ({
  type: 'offset',
  group,
  topic,
  partition,
  value: { offset, leaderEpoch: 2, metadata: '', commitTimestampMs: 1000 },
});

describe('GroupStateStore', () => {
  it('keeps offsets, group metadata and the applied offset across reopening', async () => {
    const store = await GroupStateStore.open(directory);
    expect(await store.nextOffsetToApply(3)).toBe(0n);
    await store.apply(3, [commit('billing', 'orders', 0, 42n), commit('billing', 'orders', 1, 7n), { type: 'group', group: 'billing', value: Buffer.from('meta') }], 3n);
    await store.apply(3, [commit('billing', 'orders', 0, 50n)], 4n);
    await store.close();
    const again = await GroupStateStore.open(directory);
    expect(await again.nextOffsetToApply(3)).toBe(4n);
    const offsets = await again.committedOffsets('billing');
    expect(offsets.get('orders')?.get(0)?.offset).toBe(50n);
    expect(offsets.get('orders')?.get(1)).toEqual({ offset: 7n, leaderEpoch: 2, metadata: '', commitTimestampMs: 1000 });
    expect(Buffer.from((await again.groupsOfPartition(3)).get('billing')!).toString()).toBe('meta');
    expect(await again.groupsOfPartition(4)).toEqual(new Map());
    expect(await again.groupIds()).toEqual(['billing']);
    await again.close();
  });

  it('deletes on tombstones and drops a whole partition', async () => {
    const store = await GroupStateStore.open(directory);
    await store.apply(0, [commit('a', 't', 0, 1n), commit('a', 't', 1, 1n), { type: 'group', group: 'a', value: Buffer.from('x') }], 3n);
    await store.apply(1, [commit('b', 't', 0, 9n)], 1n);
    await store.apply(0, [{ type: 'offset', group: 'a', topic: 't', partition: 1, value: null }, { type: 'group', group: 'a', value: null }], 5n);
    expect([...((await store.committedOffsets('a')).get('t')?.keys() ?? [])]).toEqual([0]);
    expect(await store.groupsOfPartition(0)).toEqual(new Map());
    await store.dropPartition(0);
    expect(await store.committedOffsets('a')).toEqual(new Map());
    expect(await store.nextOffsetToApply(0)).toBe(0n);
    expect((await store.committedOffsets('b')).get('t')?.get(0)?.offset).toBe(9n);
    await store.close();
  });
});

describe('offsets topic records', () => {
  it('round-trip and reject garbage with CORRUPT_RECORD', () => {
    const records: OffsetsTopicRecord[] = [commit('g', 't', 3, 2n ** 60n), { type: 'group', group: 'g', value: Buffer.from([1, 2]) }, { type: 'group', group: 'g', value: null }];
    for (const record of records) {
      const { key, value } = encodeOffsetsTopicRecord(record);
      expect(decodeOffsetsTopicRecord(key, value)).toEqual(record);
    }
    expect(() => decodeOffsetsTopicRecord(Buffer.from('{"type":"x"}'), null)).toThrow(expect.objectContaining({ code: 'CORRUPT_RECORD' }));
    expect(() => decodeOffsetsTopicRecord(Buffer.from('{"type":"offset","group":"g","topic":"t","partition":0}'), Buffer.from('{"offset":1}'))).toThrow(/mistyped/);
  });
});
