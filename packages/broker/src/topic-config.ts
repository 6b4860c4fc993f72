/**
 * Topic-level configuration: the keys Eddy accepts, their defaults and their validation.
 * Values travel as strings (as in Kafka's configs); `resolveTopicConfig` turns the overrides of
 * one topic into typed values.
 */
export interface TopicConfig {
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly minInsyncReplicas: number;
  readonly maxMessageBytes: number;
  readonly cleanupPolicy: 'delete';
  readonly uncleanLeaderElectionEnable: boolean;
  /** fsync after this many messages; undefined leaves flushing to the OS (Kafka's default). */
  readonly flushMessages: number | undefined;
  readonly flushMs: number | undefined;
}

type Parser<T> = (raw: string) => T | undefined;

const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> =>
  (raw) => {
    if (!/^-?\d+$/.test(raw)) return undefined;
    const value = Number(raw);
    return Number.isSafeInteger(value) && value >= min && value <= max ? value : undefined;
  };
const boolean: Parser<boolean> = (raw) => (raw === 'true' ? true : raw === 'false' ? false : undefined);
// Log compaction is not implemented yet, so `compact` is refused rather than silently ignored.
const cleanupPolicy: Parser<'delete'> = (raw) => (raw === 'delete' ? raw : undefined);

interface ConfigDefinition<K extends keyof TopicConfig> {
  readonly field: K;
  readonly parse: Parser<NonNullable<TopicConfig[K]>>;
  readonly defaultValue: TopicConfig[K];
  readonly doc: string;
}

function define<K extends keyof TopicConfig>(definition: ConfigDefinition<K>): ConfigDefinition<K> {
  return definition;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Every topic config key Eddy knows, in the order `topics describe` lists them. */
export const topicConfigDefinitions = {
  'cleanup.policy': define({ field: 'cleanupPolicy', parse: cleanupPolicy, defaultValue: 'delete', doc: 'delete: old segments are deleted by retention (compact is not supported yet)' }),
  'retention.ms': define({ field: 'retentionMs', parse: integer(-1), defaultValue: 7 * DAY_MS, doc: 'delete segments older than this; -1 keeps them' }),
  'retention.bytes': define({ field: 'retentionBytes', parse: integer(-1), defaultValue: -1, doc: 'delete the oldest segments above this size per partition; -1 for no limit' }),
  'segment.bytes': define({ field: 'segmentBytes', parse: integer(1024 * 1024, 1024 * 1024 * 1024), defaultValue: 1024 * 1024 * 1024, doc: 'roll a new segment at this size' }),
  'segment.ms': define({ field: 'segmentMs', parse: integer(1), defaultValue: 7 * DAY_MS, doc: 'roll a new segment at this age' }),
  'min.insync.replicas': define({ field: 'minInsyncReplicas', parse: integer(1), defaultValue: 1, doc: 'acks=all needs this many in-sync replicas' }),
  'max.message.bytes': define({ field: 'maxMessageBytes', parse: integer(0, 64 * 1024 * 1024), defaultValue: 1024 * 1024 + 12, doc: 'largest record batch accepted' }),
  'unclean.leader.election.enable': define({ field: 'uncleanLeaderElectionEnable', parse: boolean, defaultValue: false, doc: 'elect an out-of-sync replica when no in-sync one is left (may lose data)' }),
  'flush.messages': define({ field: 'flushMessages', parse: integer(1), defaultValue: undefined, doc: 'fsync after this many messages' }),
  'flush.ms': define({ field: 'flushMs', parse: integer(0), defaultValue: undefined, doc: 'fsync at least this often' }),
} as const;

export type TopicConfigKey = keyof typeof topicConfigDefinitions;

export function isTopicConfigKey(key: string): key is TopicConfigKey {
  return Object.hasOwn(topicConfigDefinitions, key);
}

/** Why a config override is not acceptable, or undefined when it is. */
export function topicConfigProblem(key: string, value: string): string | undefined {
  if (!isTopicConfigKey(key)) return `unknown topic config ${key}`;
  if (topicConfigDefinitions[key].parse(value) === undefined) return `invalid value ${JSON.stringify(value)} for ${key}`;
  return undefined;
}

export const defaultTopicConfig: TopicConfig = Object.fromEntries(
  Object.values(topicConfigDefinitions).map((definition) => [definition.field, definition.defaultValue]),
) as unknown as TopicConfig;

/** Typed config of a topic from its overrides; invalid or unknown overrides are ignored. */
export function resolveTopicConfig(overrides: ReadonlyMap<string, string> | undefined): TopicConfig {
  const resolved: Record<string, unknown> = { ...defaultTopicConfig };
  for (const [key, raw] of overrides ?? []) {
    if (!isTopicConfigKey(key)) continue;
    const definition = topicConfigDefinitions[key];
    const value = definition.parse(raw);
    if (value !== undefined) resolved[definition.field] = value;
  }
  return resolved as unknown as TopicConfig;
}
