import { EddyError } from '@eddy/base';

/**
 * The records of `__consumer_offsets`. Like Kafka, the key says what a record is about and the
 * value is its latest state; a null value (tombstone) deletes it. Keys and values are JSON:
 * they are small, and a readable internal topic helps operators.
 */
export interface CommittedOffset {
  /** The next offset the group will read. */
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
}

/** A committed offset of one group for one partition; null value: the offset was deleted. */
export interface OffsetCommitRecord {
  readonly type: 'offset';
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly value: CommittedOffset | null;
}

/** A group's metadata (the coordinator's snapshot of it); null value: the group was deleted. */
export interface GroupMetadataRecord {
  readonly type: 'group';
  readonly group: string;
  readonly value: Uint8Array | null;
}

export type OffsetsTopicRecord = OffsetCommitRecord | GroupMetadataRecord;

export function encodeOffsetsTopicRecord(record: OffsetsTopicRecord): { key: Buffer; value: Buffer | null } {
  if (record.type === 'group') {
    return { key: json({ type: 'group', group: record.group }), value: record.value === null ? null : Buffer.from(record.value) };
  }
  const key = json({ type: 'offset', group: record.group, topic: record.topic, partition: record.partition });
  return { key, value: record.value === null ? null : json({ ...record.value, offset: record.value.offset.toString() }) };
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function decodeOffsetsTopicRecord(key: Uint8Array, value: Uint8Array | null): OffsetsTopicRecord {
  const parsedKey = parse(key) as Partial<{ type: string; group: unknown; topic: unknown; partition: unknown }>;
  if (parsedKey.type === 'group' && typeof parsedKey.group === 'string') {
    return { type: 'group', group: parsedKey.group, value: value === null ? null : Buffer.from(value) };
  }
  if (parsedKey.type === 'offset' && typeof parsedKey.group === 'string' && typeof parsedKey.topic === 'string' && Number.isInteger(parsedKey.partition)) {
    const key = { type: 'offset', group: parsedKey.group, topic: parsedKey.topic, partition: parsedKey.partition as number } as const;
    if (value === null) return { ...key, value: null };
    const parsed = parse(value) as Partial<Record<keyof CommittedOffset, unknown>>;
    if (typeof parsed.offset !== 'string' || !/^-?\d+$/.test(parsed.offset) || !Number.isInteger(parsed.leaderEpoch) || typeof parsed.metadata !== 'string' || !Number.isFinite(parsed.commitTimestampMs)) {
      throw corrupt('offset value has missing or mistyped fields');
    }
    return {
      ...key,
      value: { offset: BigInt(parsed.offset), leaderEpoch: parsed.leaderEpoch as number, metadata: parsed.metadata, commitTimestampMs: parsed.commitTimestampMs as number },
    };
  }
  throw corrupt('unknown key');
}

function parse(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw corrupt('not JSON');
  }
}

function corrupt(reason: string): EddyError {
  return new EddyError('CORRUPT_RECORD', `invalid __consumer_offsets record: ${reason}`);
}
