import { assert, EddyError } from '@eddy/base';
import { replicationLimits } from './limits.js';

/**
 * Operator settings of the data path, with Kafka's names (camel-cased) and defaults where Kafka
 * has them. Tests lower the times.
 */
export interface ReplicaManagerConfig {
  /** replica.lag.time.max.ms: a follower that has not caught up for this long leaves the ISR. */
  readonly replicaLagTimeMaxMs: number;
  /** replica.fetch.max.bytes: record bytes a follower asks for per partition. */
  readonly replicaFetchMaxBytes: number;
  /** replica.fetch.response.max.bytes: record bytes a follower asks for per fetch. */
  readonly replicaFetchResponseMaxBytes: number;
  /** replica.fetch.wait.max.ms: how long a caught-up follower's fetch waits on the leader. */
  readonly replicaFetchWaitMaxMs: number;
  /** replica.fetch.min.bytes. */
  readonly replicaFetchMinBytes: number;
  /** replica.fetch.backoff.ms: pause after a failed fetch or a partition error. */
  readonly replicaFetchBackoffMs: number;
  /** replica.socket.timeout.ms: a fetch without an answer for this long (beyond its wait) is retried on a new stream. */
  readonly replicaFetchTimeoutMs: number;
  /** How often the leader looks for ISR changes (Kafka: half the lag time). */
  readonly isrCheckIntervalMs: number;
  /** replica.high.watermark.checkpoint.interval.ms: how often the HWs are written to disk. */
  readonly highWatermarkCheckpointIntervalMs: number;
}

export const defaultReplicaManagerConfig: ReplicaManagerConfig = {
  replicaLagTimeMaxMs: 30_000,
  replicaFetchMaxBytes: 1024 * 1024,
  replicaFetchResponseMaxBytes: 10 * 1024 * 1024,
  replicaFetchWaitMaxMs: 500,
  replicaFetchMinBytes: 1,
  replicaFetchBackoffMs: 200,
  replicaFetchTimeoutMs: 30_000,
  isrCheckIntervalMs: 15_000,
  highWatermarkCheckpointIntervalMs: 5_000,
};

export type ReplicaManagerConfigInput = { readonly [K in keyof ReplicaManagerConfig]?: ReplicaManagerConfig[K] | undefined };

/**
 * Fills in defaults (the ISR check interval defaults to half the lag time) and rejects values
 * out of range with INVALID_CONFIG.
 */
export function resolveReplicaManagerConfig(input: ReplicaManagerConfigInput = {}): ReplicaManagerConfig {
  const lag = input.replicaLagTimeMaxMs ?? defaultReplicaManagerConfig.replicaLagTimeMaxMs;
  const config: ReplicaManagerConfig = {
    replicaLagTimeMaxMs: lag,
    replicaFetchMaxBytes: input.replicaFetchMaxBytes ?? defaultReplicaManagerConfig.replicaFetchMaxBytes,
    replicaFetchResponseMaxBytes: input.replicaFetchResponseMaxBytes ?? defaultReplicaManagerConfig.replicaFetchResponseMaxBytes,
    replicaFetchWaitMaxMs: input.replicaFetchWaitMaxMs ?? defaultReplicaManagerConfig.replicaFetchWaitMaxMs,
    replicaFetchMinBytes: input.replicaFetchMinBytes ?? defaultReplicaManagerConfig.replicaFetchMinBytes,
    replicaFetchBackoffMs: input.replicaFetchBackoffMs ?? defaultReplicaManagerConfig.replicaFetchBackoffMs,
    replicaFetchTimeoutMs: input.replicaFetchTimeoutMs ?? defaultReplicaManagerConfig.replicaFetchTimeoutMs,
    isrCheckIntervalMs: input.isrCheckIntervalMs ?? Math.max(1, Math.floor(lag / 2)),
    highWatermarkCheckpointIntervalMs: input.highWatermarkCheckpointIntervalMs ?? defaultReplicaManagerConfig.highWatermarkCheckpointIntervalMs,
  };
  requireInteger('replicaLagTimeMaxMs', config.replicaLagTimeMaxMs, 1, 3_600_000);
  requireInteger('replicaFetchMaxBytes', config.replicaFetchMaxBytes, 1, replicationLimits.fetchBytesMax);
  requireInteger('replicaFetchResponseMaxBytes', config.replicaFetchResponseMaxBytes, 1, replicationLimits.fetchBytesMax);
  requireInteger('replicaFetchWaitMaxMs', config.replicaFetchWaitMaxMs, 0, replicationLimits.fetchWaitMsMax);
  requireInteger('replicaFetchMinBytes', config.replicaFetchMinBytes, 1, replicationLimits.fetchBytesMax);
  requireInteger('replicaFetchBackoffMs', config.replicaFetchBackoffMs, 1, replicationLimits.fetcherBackoffMsMax);
  requireInteger('replicaFetchTimeoutMs', config.replicaFetchTimeoutMs, 1, 3_600_000);
  requireInteger('isrCheckIntervalMs', config.isrCheckIntervalMs, 1, 3_600_000);
  requireInteger('highWatermarkCheckpointIntervalMs', config.highWatermarkCheckpointIntervalMs, 1, 3_600_000);
  if (config.replicaFetchWaitMaxMs >= config.replicaLagTimeMaxMs) {
    // A caught-up follower parked on the leader for longer than the lag time would be dropped
    // from the ISR while it waits.
    throw new EddyError('INVALID_CONFIG', `replicaFetchWaitMaxMs ${config.replicaFetchWaitMaxMs} must be below replicaLagTimeMaxMs ${config.replicaLagTimeMaxMs}`);
  }
  assert(config.isrCheckIntervalMs > 0, 'the ISR is checked');
  return config;
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new EddyError('INVALID_CONFIG', `replication config ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}
