import { EddyError } from '@eddy/base';
import type { Endpoint } from '@eddy/metadata';
import { parseEndpoint, parseQuorumVoters } from './endpoint.js';

/**
 * Everything one node needs to start. Sources, lowest precedence first: the defaults below,
 * a properties file (`--config`, Kafka's `key=value` format), then command-line flags.
 */
export interface NodeConfig {
  readonly nodeId: number;
  readonly listen: Endpoint;
  /** The address other nodes and clients use; defaults to `listen`. */
  readonly advertised: Endpoint;
  readonly dataDir: string;
  readonly rack: string | null;
  /** Voter id → endpoint. The node is a voter (combined mode) when its id is listed. */
  readonly controllerQuorum: ReadonlyMap<number, Endpoint>;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly brokerHeartbeatIntervalMs: number;
  readonly brokerSessionTimeoutMs: number;
  readonly brokerProbeAfterMs: number;
  readonly replicaLagTimeMaxMs: number;
  readonly raftElectionTimeoutMs: number;
  readonly raftHeartbeatIntervalMs: number;
  readonly defaultReplicationFactor: number;
  readonly numPartitions: number;
  readonly offsetsTopicNumPartitions: number;
  readonly offsetsTopicReplicationFactor: number;
  readonly groupInitialRebalanceDelayMs: number;
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  readonly offsetsRetentionMinutes: number;
  readonly offsetsRetentionCheckIntervalMs: number;
  readonly leaderImbalanceCheckIntervalMs: number;
}

type Field = keyof NodeConfig;
type Kind = 'int' | 'endpoint' | 'string' | 'nullableString' | 'quorum' | 'logLevel';

interface Setting {
  readonly field: Field;
  readonly kind: Kind;
  readonly doc: string;
}

/** Properties-file keys (and `--flag` names, dots as dashes) with their meaning. */
export const nodeSettings: Readonly<Record<string, Setting>> = {
  'node.id': { field: 'nodeId', kind: 'int', doc: 'this node\'s id (unique in the cluster)' },
  listen: { field: 'listen', kind: 'endpoint', doc: 'host:port to serve clients, brokers and controllers on' },
  'advertised.listener': { field: 'advertised', kind: 'endpoint', doc: 'host:port others reach this node at (default: listen)' },
  'data.dir': { field: 'dataDir', kind: 'string', doc: 'where partition logs, the metadata log and group state live' },
  rack: { field: 'rack', kind: 'nullableString', doc: 'rack or zone, for rack-aware replica placement' },
  'controller.quorum': { field: 'controllerQuorum', kind: 'quorum', doc: 'metadata quorum voters: id@host:port,...' },
  'log.level': { field: 'logLevel', kind: 'logLevel', doc: 'fatal, error, warn, info, debug, trace or silent' },
  'broker.heartbeat.interval.ms': { field: 'brokerHeartbeatIntervalMs', kind: 'int', doc: 'how often brokers heartbeat the controller' },
  'broker.session.timeout.ms': { field: 'brokerSessionTimeoutMs', kind: 'int', doc: 'a broker silent this long is fenced' },
  'broker.probe.after.ms': {
    field: 'brokerProbeAfterMs',
    kind: 'int',
    doc: 'the controller probes the listener of a broker silent this long and fences it at once if the connection is refused (a crashed process); default twice broker.heartbeat.interval.ms, 0 never',
  },
  'replica.lag.time.max.ms': { field: 'replicaLagTimeMaxMs', kind: 'int', doc: 'a follower not caught up for this long leaves the ISR' },
  'raft.election.timeout.ms': { field: 'raftElectionTimeoutMs', kind: 'int', doc: 'metadata quorum election timeout' },
  'raft.heartbeat.interval.ms': { field: 'raftHeartbeatIntervalMs', kind: 'int', doc: 'metadata quorum leader heartbeat interval' },
  'default.replication.factor': { field: 'defaultReplicationFactor', kind: 'int', doc: 'replication factor of topics created without one' },
  'num.partitions': { field: 'numPartitions', kind: 'int', doc: 'partitions of topics created without a count' },
  'offsets.topic.num.partitions': { field: 'offsetsTopicNumPartitions', kind: 'int', doc: 'partitions of __consumer_offsets' },
  'offsets.topic.replication.factor': { field: 'offsetsTopicReplicationFactor', kind: 'int', doc: 'replication factor of __consumer_offsets (capped at the live brokers)' },
  'group.initial.rebalance.delay.ms': { field: 'groupInitialRebalanceDelayMs', kind: 'int', doc: 'wait this long for more members before a new group\'s first rebalance' },
  'group.min.session.timeout.ms': { field: 'groupMinSessionTimeoutMs', kind: 'int', doc: 'the shortest session timeout a consumer may ask for' },
  'group.max.session.timeout.ms': { field: 'groupMaxSessionTimeoutMs', kind: 'int', doc: 'the longest session timeout a consumer may ask for' },
  'offsets.retention.minutes': { field: 'offsetsRetentionMinutes', kind: 'int', doc: 'committed offsets of empty groups expire after this' },
  'offsets.retention.check.interval.ms': { field: 'offsetsRetentionCheckIntervalMs', kind: 'int', doc: 'how often expired committed offsets are looked for' },
  'leader.imbalance.check.interval.ms': { field: 'leaderImbalanceCheckIntervalMs', kind: 'int', doc: 'how often leadership moves back to preferred replicas; 0 never' },
};

export const nodeConfigDefaults = {
  rack: null,
  logLevel: 'info',
  brokerHeartbeatIntervalMs: 500,
  brokerSessionTimeoutMs: 2_500,
  replicaLagTimeMaxMs: 10_000,
  raftElectionTimeoutMs: 800,
  raftHeartbeatIntervalMs: 100,
  defaultReplicationFactor: 1,
  numPartitions: 1,
  offsetsTopicNumPartitions: 10,
  offsetsTopicReplicationFactor: 3,
  groupInitialRebalanceDelayMs: 300,
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  offsetsRetentionMinutes: 7 * 24 * 60,
  offsetsRetentionCheckIntervalMs: 600_000,
  leaderImbalanceCheckIntervalMs: 30_000,
} as const satisfies Partial<NodeConfig>;

const logLevels = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function invalid(key: string, reason: string): EddyError {
  return new EddyError('INVALID_CONFIG', `${key}: ${reason}`);
}

function parseValue(key: string, kind: Kind, raw: string): unknown {
  switch (kind) {
    case 'int': {
      const value = Number(raw);
      if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value)) throw invalid(key, `expected a non-negative integer, got ${JSON.stringify(raw)}`);
      return value;
    }
    case 'endpoint':
      return parseEndpoint(raw);
    case 'string':
      if (raw.trim() === '') throw invalid(key, 'must not be empty');
      return raw.trim();
    case 'nullableString':
      return raw.trim() === '' ? null : raw.trim();
    case 'quorum':
      return parseQuorumVoters(raw);
    case 'logLevel':
      if (!logLevels.has(raw.trim())) throw invalid(key, `expected one of ${[...logLevels].join(', ')}`);
      return raw.trim();
  }
}

/** Parses Kafka-style properties: `key=value` lines, `#` or `!` comments, blank lines. */
export function parseProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) return;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw new EddyError('INVALID_CONFIG', `line ${i + 1}: expected key=value, got ${JSON.stringify(trimmed)}`);
    properties.set(trimmed.slice(0, eq).trim(), trimmed.slice(eq + 1).trim());
  });
  return properties;
}

/**
 * Builds the node config from raw settings (properties file first, then flags, later wins).
 * Unknown keys, bad values, and missing required settings are INVALID_CONFIG errors.
 */
export function resolveNodeConfig(...sources: ReadonlyArray<ReadonlyMap<string, string>>): NodeConfig {
  const values: Record<string, unknown> = { ...nodeConfigDefaults };
  for (const source of sources) {
    for (const [key, raw] of source) {
      const setting = nodeSettings[key];
      if (setting === undefined) throw invalid(key, 'unknown setting');
      values[setting.field] = parseValue(key, setting.kind, raw);
    }
  }
  for (const required of ['node.id', 'listen', 'data.dir'] as const) {
    const setting = nodeSettings[required] as Setting;
    if (values[setting.field] === undefined) throw invalid(required, 'is required');
  }
  values.advertised ??= values.listen;
  values.brokerProbeAfterMs ??= 2 * (values.brokerHeartbeatIntervalMs as number);
  values.controllerQuorum ??= new Map([[values.nodeId as number, values.advertised as Endpoint]]);
  const config = values as unknown as NodeConfig;
  checkRelations(config);
  return config;
}

function checkRelations(config: NodeConfig): void {
  // Raft reserves 0 for "no node" (no vote cast, no leader known).
  if (config.nodeId < 1) throw invalid('node.id', 'must be at least 1');
  for (const voterId of config.controllerQuorum.keys()) {
    if (voterId < 1) throw invalid('controller.quorum', `voter id ${voterId} must be at least 1`);
  }
  if (config.brokerHeartbeatIntervalMs * 2 > config.brokerSessionTimeoutMs) {
    throw invalid('broker.session.timeout.ms', 'must be at least twice broker.heartbeat.interval.ms');
  }
  if (config.brokerProbeAfterMs !== 0 && config.brokerProbeAfterMs <= config.brokerHeartbeatIntervalMs) {
    // Healthy brokers are silent for up to one interval between heartbeats.
    throw invalid('broker.probe.after.ms', 'must be 0 or above broker.heartbeat.interval.ms');
  }
  if (config.raftHeartbeatIntervalMs * 3 > config.raftElectionTimeoutMs) {
    throw invalid('raft.election.timeout.ms', 'must be at least three times raft.heartbeat.interval.ms');
  }
  for (const key of ['defaultReplicationFactor', 'numPartitions', 'offsetsTopicNumPartitions', 'offsetsTopicReplicationFactor'] as const) {
    if (config[key] < 1) throw invalid(key, 'must be at least 1');
  }
  if (config.groupMinSessionTimeoutMs < 1 || config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
    throw invalid('group.min.session.timeout.ms', 'must be at least 1 and at most group.max.session.timeout.ms');
  }
  if (config.groupMaxSessionTimeoutMs > 7 * 24 * 60 * 60 * 1000) throw invalid('group.max.session.timeout.ms', 'must be at most 7 days');
  // Timers and deadlines must stay exact: a year of retention at most, a day between checks.
  if (config.offsetsRetentionMinutes < 1 || config.offsetsRetentionMinutes > 366 * 24 * 60) throw invalid('offsets.retention.minutes', 'must be in [1, 527040] (one year)');
  if (config.offsetsRetentionCheckIntervalMs < 1 || config.offsetsRetentionCheckIntervalMs > 24 * 60 * 60 * 1000) {
    throw invalid('offsets.retention.check.interval.ms', 'must be in [1, 86400000] (one day)');
  }
}

export function isVoter(config: NodeConfig): boolean {
  return config.controllerQuorum.has(config.nodeId);
}
