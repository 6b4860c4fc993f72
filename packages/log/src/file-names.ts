import { assert } from '@eddy/base';
import { logLimits } from './limits.js';

/** File name suffixes of a segment and of the per-partition state files. */
export const LOG_SUFFIX = '.log';
export const OFFSET_INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** A file renamed for deletion; removed once no reader holds it, or at the next open. */
export const DELETED_SUFFIX = '.deleted';
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
export const RECOVERY_POINT_FILE = 'recovery-point-checkpoint';
export const LOG_START_OFFSET_FILE = 'log-start-offset-checkpoint';
export const LEADER_EPOCH_FILE = 'leader-epoch-checkpoint';
/** The topic id of the incarnation the directory belongs to (see partition-metadata-file.ts). */
export const PARTITION_METADATA_FILE = 'partition.metadata';
/** A partition directory being deleted: `<topic>-<partition>.<id>-delete`. */
export const DELETE_DIR_SUFFIX = '-delete';

const OFFSET_DIGITS = 20;
const TOPIC_PATTERN = /^[a-zA-Z0-9._-]+$/;

/** `00000000000000001234`: base offsets sort as strings, as in Kafka. */
export function formatBaseOffset(offset: bigint): string {
  assert(offset >= 0n, `a base offset is never negative, got ${offset}`);
  return offset.toString().padStart(OFFSET_DIGITS, '0');
}

export type SegmentFileKind = 'log' | 'offsetIndex' | 'timeIndex';

export interface SegmentFileName {
  readonly baseOffset: bigint;
  readonly kind: SegmentFileKind;
}

/** Parses a live segment file name; anything else (temp, deleted, foreign) gives undefined. */
export function parseSegmentFileName(name: string): SegmentFileName | undefined {
  const dot = name.indexOf('.');
  if (dot !== OFFSET_DIGITS) return undefined;
  const digits = name.slice(0, dot);
  if (!/^\d{20}$/.test(digits)) return undefined;
  const suffix = name.slice(dot);
  const kind: SegmentFileKind | undefined =
    suffix === LOG_SUFFIX ? 'log' : suffix === OFFSET_INDEX_SUFFIX ? 'offsetIndex' : suffix === TIME_INDEX_SUFFIX ? 'timeIndex' : undefined;
  if (kind === undefined) return undefined;
  return { baseOffset: BigInt(digits), kind };
}

export function segmentFileName(baseOffset: bigint, kind: SegmentFileKind): string {
  const suffix = kind === 'log' ? LOG_SUFFIX : kind === 'offsetIndex' ? OFFSET_INDEX_SUFFIX : TIME_INDEX_SUFFIX;
  return formatBaseOffset(baseOffset) + suffix;
}

export function isValidTopicName(topic: string): boolean {
  return topic.length > 0 && topic.length <= logLimits.topicNameLengthMax && topic !== '.' && topic !== '..' && TOPIC_PATTERN.test(topic);
}

/** `<topic>-<partition>`, the directory of one partition replica. */
export function partitionDirName(topic: string, partition: number): string {
  assert(isValidTopicName(topic), `invalid topic name ${JSON.stringify(topic)}`);
  assert(Number.isInteger(partition) && partition >= 0 && partition <= logLimits.partitionMax, `invalid partition ${partition}`);
  return `${topic}-${partition}`;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Splits at the last '-' (topics may contain dashes); undefined for other names. */
export function parsePartitionDirName(name: string): TopicPartition | undefined {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const topic = name.slice(0, dash);
  const digits = name.slice(dash + 1);
  if (!/^\d{1,10}$/.test(digits) || !isValidTopicName(topic)) return undefined;
  const partition = Number(digits);
  if (partition > logLimits.partitionMax || String(partition) !== digits) return undefined;
  return { topic, partition };
}
