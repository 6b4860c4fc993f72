import { EddyError } from '@eddy/base';
import { logLimits } from './limits.js';

/** Per-partition log settings (Kafka's topic-level names, camel-cased). */
export interface LogConfig {
  /** Roll the active segment before it would grow beyond this size. */
  readonly segmentBytes: number;
  /** Roll the active segment once it is this old (clock time since its first append). */
  readonly segmentMs: number;
  /** Delete the oldest segments while the log is larger than this; -1 keeps them. */
  readonly retentionBytes: number;
  /** Delete segments whose newest record is older than this; -1 keeps them. */
  readonly retentionMs: number;
  /** The largest record batch accepted. */
  readonly maxMessageBytes: number;
  /** Bytes of log between two sparse index entries. */
  readonly indexIntervalBytes: number;
  /** fsync after this many records; undefined leaves flushing to the OS (Kafka's default). */
  readonly flushMessages: number | undefined;
  /** fsync when the oldest unflushed append is this old; undefined leaves it to the OS. */
  readonly flushMs: number | undefined;
}

/** What callers pass: any subset, undefined meaning "the default". */
export type LogConfigInput = { readonly [K in keyof LogConfig]?: LogConfig[K] | undefined };

const DAY_MS = 24 * 60 * 60 * 1000;

export const defaultLogConfig: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * DAY_MS,
  retentionBytes: -1,
  retentionMs: 7 * DAY_MS,
  maxMessageBytes: 1024 * 1024 + 12,
  indexIntervalBytes: 4096,
  flushMessages: undefined,
  flushMs: undefined,
};

/** Fills in defaults and rejects values outside the engine's limits (INVALID_CONFIG). */
export function resolveLogConfig(input: LogConfigInput = {}): LogConfig {
  const config: LogConfig = {
    segmentBytes: input.segmentBytes ?? defaultLogConfig.segmentBytes,
    segmentMs: input.segmentMs ?? defaultLogConfig.segmentMs,
    retentionBytes: input.retentionBytes ?? defaultLogConfig.retentionBytes,
    retentionMs: input.retentionMs ?? defaultLogConfig.retentionMs,
    maxMessageBytes: input.maxMessageBytes ?? defaultLogConfig.maxMessageBytes,
    indexIntervalBytes: input.indexIntervalBytes ?? defaultLogConfig.indexIntervalBytes,
    flushMessages: input.flushMessages,
    flushMs: input.flushMs,
  };
  requireInteger('segmentBytes', config.segmentBytes, logLimits.segmentBytesMin, logLimits.segmentBytesMax);
  requireInteger('segmentMs', config.segmentMs, 1, Number.MAX_SAFE_INTEGER);
  requireInteger('retentionBytes', config.retentionBytes, -1, Number.MAX_SAFE_INTEGER);
  requireInteger('retentionMs', config.retentionMs, -1, Number.MAX_SAFE_INTEGER);
  requireInteger('maxMessageBytes', config.maxMessageBytes, 0, logLimits.batchBytesMax);
  requireInteger('indexIntervalBytes', config.indexIntervalBytes, logLimits.indexIntervalBytesMin, logLimits.indexIntervalBytesMax);
  if (config.flushMessages !== undefined) requireInteger('flushMessages', config.flushMessages, 1, Number.MAX_SAFE_INTEGER);
  if (config.flushMs !== undefined) requireInteger('flushMs', config.flushMs, 0, Number.MAX_SAFE_INTEGER);
  return config;
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new EddyError('INVALID_CONFIG', `log config ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}
