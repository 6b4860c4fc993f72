import type { MetadataResponse } from '@eddy/protocol';
import { describe, expect, it } from 'vitest';
import { MetadataCache } from './metadata-cache.js';

function response(offset: bigint, leaderId: number): MetadataResponse {
  return {
    clusterId: 'c',
    controllerId: 1,
    brokers: [
      { brokerId: 1, host: '127.0.0.1', port: 9092, rack: '' },
      { brokerId: 2, host: '::1', port: 9093, rack: 'r2' },
    ],
    topics: [
      {
        errorCode: 'NONE',
        errorMessage: '',
        name: 't',
        topicId: 'id',
        isInternal: false,
        maxMessageBytes: 1_048_588,
        partitions: [
          {
            errorCode: 'NONE',
            errorMessage: '',
            partition: 0,
            leaderId,
            leaderEpoch: 3,
            replicas: [1, 2],
            isr: [1, 2],
            offlineReplicas: [],
            state: 'PARTITION_STATE_ONLINE',
            replicaStates: [],
            addingReplicas: [],
            removingReplicas: [],
          },
        ],
      },
      { errorCode: 'UNKNOWN_TOPIC_OR_PARTITION', errorMessage: 'no such topic', name: 'missing', topicId: '', isInternal: false, partitions: [], maxMessageBytes: 0 },
    ],
    metadataOffset: offset,
  };
}

describe('MetadataCache', () => {
  it('keeps brokers, leaders and topic errors, and ignores answers from an older image', () => {
    const cache = new MetadataCache();
    expect(cache.apply(response(10n, 1), ['t', 'missing'], 5)).toBe(true);
    expect(cache.leaderOf('t', 0)).toBe(1);
    expect(cache.brokers.get(2)?.address).toBe('[::1]:9093');
    expect(cache.topicErrors.get('missing')?.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(cache.updatedAtMs).toBe(5);
    expect(cache.apply(response(9n, 2), ['t'], 6)).toBe(false);
    expect(cache.leaderOf('t', 0)).toBe(1);
    expect(cache.apply(response(11n, 2), ['t'], 7)).toBe(true);
    expect(cache.leaderOf('t', 0)).toBe(2);
    expect(cache.leaderOf('t', 1)).toBeUndefined();
    expect(cache.apply(response(12n, -1), ['t'], 8)).toBe(true);
    expect(cache.leaderOf('t', 0)).toBeUndefined();
  });
});
