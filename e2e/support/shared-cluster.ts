import { Eddy, type EddyOptions } from '@eddy/client';
import { afterAll, beforeAll } from 'vitest';
import { ProcessCluster, type ProcessClusterOptions } from './eddy-cluster.js';

export interface SharedCluster {
  readonly c: ProcessCluster;
  readonly client: Eddy;
}

type Prepare = (cluster: ProcessCluster) => Promise<unknown>;

/**
 * One real cluster for every test of a file: started (and `prepare`d) before the first test,
 * closed after the last. Returns the accessor the tests use.
 */
export function sharedCluster(options: ProcessClusterOptions, prepare: Prepare = () => Promise.resolve()): () => ProcessCluster {
  let cluster: ProcessCluster | undefined;
  beforeAll(async () => {
    cluster = await ProcessCluster.start(options);
    await prepare(cluster);
  });
  afterAll(async () => {
    await cluster?.close();
    cluster = undefined;
  });
  return () => {
    if (cluster === undefined) throw new Error('no cluster');
    return cluster;
  };
}

/** `sharedCluster` with an SDK client of it, closed before the cluster. */
export function sharedClusterWithClient(options: ProcessClusterOptions, clientOptions: Omit<EddyOptions, 'bootstrapServers'>, prepare?: Prepare): () => SharedCluster {
  let client: Eddy | undefined;
  const cluster = sharedCluster(options, prepare);
  beforeAll(() => {
    client = new Eddy({ ...clientOptions, bootstrapServers: cluster().bootstrapServers });
  });
  // Registered after the cluster's afterAll, so it runs first (vitest runs afterAll hooks in reverse).
  afterAll(async () => {
    await client?.close();
    client = undefined;
  });
  return () => {
    if (client === undefined) throw new Error('no client');
    return { c: cluster(), client };
  };
}
