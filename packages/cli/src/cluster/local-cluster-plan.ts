import { EddyError } from '@eddy/base';
import { join, resolve } from 'node:path';

export interface LocalClusterOptions {
  readonly brokers: number;
  readonly dataDir: string;
  readonly basePort: number;
  readonly host: string;
}

export interface LocalNodePlan {
  readonly nodeId: number;
  readonly listen: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** Arguments to `eddy` that start this node. */
  readonly serverArgs: readonly string[];
}

/** At most this many nodes vote in the metadata quorum; the rest are observers. */
export const LOCAL_VOTERS_MAX = 5;
export const LOCAL_BROKERS_MAX = 64;

/**
 * The nodes of `eddy cluster start`: node i listens on basePort + i - 1 and keeps its data in
 * <dataDir>/node-i; the first five nodes (all of them in clusters of up to five) are voters.
 * The same options give the same plan, so starting again resumes the same cluster and data.
 */
export function planLocalCluster(options: LocalClusterOptions): LocalNodePlan[] {
  const { brokers, basePort, host } = options;
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > LOCAL_BROKERS_MAX) {
    throw new EddyError('INVALID_REQUEST', `--brokers must be between 1 and ${LOCAL_BROKERS_MAX}, got ${brokers}`);
  }
  if (!Number.isInteger(basePort) || basePort < 1 || basePort + brokers - 1 > 65535) {
    throw new EddyError('INVALID_REQUEST', `--base-port ${basePort} leaves no room for ${brokers} ports`);
  }
  const root = resolve(options.dataDir);
  const ids = Array.from({ length: brokers }, (_, i) => i + 1);
  const listenOf = (nodeId: number): string => `${host}:${basePort + nodeId - 1}`;
  const quorum = ids
    .slice(0, LOCAL_VOTERS_MAX)
    .map((id) => `${id}@${listenOf(id)}`)
    .join(',');
  return ids.map((nodeId) => {
    const dataDir = join(root, `node-${nodeId}`);
    return {
      nodeId,
      listen: listenOf(nodeId),
      dataDir,
      logFile: join(root, `node-${nodeId}.log`),
      serverArgs: ['server', '--node-id', String(nodeId), '--listen', listenOf(nodeId), '--data-dir', dataDir, '--controller-quorum', quorum],
    };
  });
}
