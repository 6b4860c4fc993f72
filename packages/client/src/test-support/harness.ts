/**
 * Helpers for this package's tests: a fake cluster and an Eddy client on it, closed together.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Prng } from '@eddy/base';
import { Eddy, type EddyOptions } from '../index.js';
import { type FakeCluster, type FakeClusterOptions, startFakeCluster } from '../testing/index.js';

export interface Harness {
  readonly cluster: FakeCluster;
  readonly eddy: Eddy;
  close(): Promise<void>;
}

/** A fake cluster and a client on it; `close()` closes both. */
export async function startHarness(clusterOptions: FakeClusterOptions = {}, clientOptions: Partial<EddyOptions> = {}): Promise<Harness> {
  const cluster = await startFakeCluster(clusterOptions);
  const eddy = new Eddy({
    bootstrapServers: cluster.bootstrapServers,
    clientId: 'test-client',
    prng: new Prng(42),
    retry: { initialBackoffMs: 10, backoffMaxMs: 100 },
    ...clientOptions,
  });
  return {
    cluster,
    eddy,
    close: async () => {
      await eddy.close();
      await cluster.close();
    },
  };
}

/** Polls `condition` every 10 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Values of a partition's records in the fake log, as strings. */
export function logValues(cluster: FakeCluster, topic: string, partition: number): string[] {
  return cluster.records(topic, partition).map((record) => record.value?.toString() ?? '<null>');
}
