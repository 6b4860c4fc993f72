import type { MetadataRecord } from '@eddy/metadata';
import { describe, expect, it } from 'vitest';
import { decodeMetadataEntry, decodeMetadataSnapshot, encodeMetadataEntry, encodeMetadataSnapshot, MetadataLoader } from './metadata-loader.js';

const topic: MetadataRecord[] = [
  { type: 'Topic', name: 't', topicId: 'T' },
  { type: 'Partition', topicId: 'T', partition: 0, replicas: [1], isr: [1], adding: [], removing: [], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
];

describe('MetadataLoader', () => {
  it('applies a batch of committed entries as one image and skips replays', () => {
    const loader = new MetadataLoader();
    const seen: number[] = [];
    loader.subscribe((image, delta) => seen.push(image.offset, delta?.changedPartitions.size ?? -1));
    loader.applyCommitted([
      { offset: 1, records: [] },
      { offset: 2, records: topic },
    ]);
    expect(loader.image.offset).toBe(2);
    expect(loader.image.partition('t', 0)?.leader).toBe(1);
    loader.applyCommitted([{ offset: 2, records: topic }]);
    expect(seen).toEqual([2, 1]);
  });

  it('loads snapshots it encoded', () => {
    const loader = new MetadataLoader();
    loader.applyCommitted([{ offset: 5, records: topic }]);
    const other = new MetadataLoader();
    other.loadSnapshot(encodeMetadataSnapshot(loader.image), 5);
    expect(other.image).toEqual(loader.image);
    expect(decodeMetadataSnapshot(encodeMetadataSnapshot(loader.image))).toEqual(topic);
  });

  it('round-trips entries and rejects malformed ones with CORRUPT_RECORD', () => {
    expect(decodeMetadataEntry(encodeMetadataEntry(topic))).toEqual(topic);
    expect(decodeMetadataEntry(encodeMetadataEntry([]))).toEqual([]);
    for (const bad of ['{}', '[1]', 'nope']) {
      expect(() => decodeMetadataEntry(Buffer.from(bad))).toThrow(expect.objectContaining({ code: 'CORRUPT_RECORD' }));
    }
  });
});
