import { Eddy, type EddyOptions } from '@eddy/client';
import { afterAll, beforeAll } from 'vitest';
import { ProcessCluster, type ProcessClusterOptions } from './eddy-cluster.js';

export interface SharedCluster {
  readonly c: ProcessCluster;
  readonly client: Eddy;
}

/**
 * One real cluster and an SDK client of it for every test of a file: started (and `prepare`d)
 * before the first test, both closed after the last. Returns the accessor the tests use.
 */
export function sharedClusterWithClient(
  options: ProcessClusterOptions,
  clientOptions: Omit<EddyOptions, 'bootstrapServers'>,
  prepare: (cluster: ProcessCluster) => Promise<unknown> = () => Promise.resolve(),
): () => SharedCluster {
  let shared: SharedCluster | undefined;
  let cluster: ProcessCluster | undefined;
  beforeAll(async () => {
    cluster = await ProcessCluster.start(options);
    await prepare(cluster);
    shared = { c: cluster, client: new Eddy({ ...clientOptions, bootstrapServers: cluster.bootstrapServers }) };
  });
  afterAll(async () => {
    await shared?.client.close();
    await cluster?.close();
    shared = undefined;
    cluster = undefined;
  });
  return () => {
    if (shared === undefined) throw new Error('no cluster');
    return shared;
  };
}
