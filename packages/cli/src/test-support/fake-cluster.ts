import { Eddy } from '@eddy/client';
import { type FakeCluster, startFakeCluster } from '@eddy/client/testing';
import { afterEach } from 'vitest';

export interface Connected {
  readonly cluster: FakeCluster;
  readonly eddy: Eddy;
}

/**
 * Registers cleanup in the calling test file and returns `connect()`, which starts a 3-broker
 * fake cluster with one topic of 3 partitions and a client of it; both close after each test.
 */
export function fakeClusterPerTest(topic: string): () => Promise<Connected> {
  let connected: Connected | undefined;
  afterEach(async () => {
    await connected?.eddy.close();
    await connected?.cluster.close();
    connected = undefined;
  });
  return async () => {
    const cluster = await startFakeCluster({ brokers: 3, topics: [{ name: topic, partitions: 3 }] });
    connected = { cluster, eddy: new Eddy({ bootstrapServers: cluster.bootstrapServers, clientId: 'cli-test', retry: { deadlineMs: 2_000 } }) };
    return connected;
  };
}
