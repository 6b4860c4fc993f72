import { EddyError } from '@eddy/base';

/**
 * The records of `__consumer_offsets`. Like Kafka, the key says what a record is about and the
 * value is its latest state; a null value (tombstone) deletes it. Keys and values are JSON:
 * they are small, and a readable internal topic helps operators.
 */
export type OffsetsTopicKey =
  | { readonly type: 'offset'; readonly group: string; readonly topic: string; readonly partition: number }
  | { readonly type: 'group'; readonly group: string };

export interface CommittedOffset {
  /** The next offset the group will read. */
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
}

export type OffsetsTopicRecord =
  | { readonly key: Extract<OffsetsTopicKey, { type: 'offset' }>; readonly value: CommittedOffset | null }
  | { readonly key: Extract<OffsetsTopicKey, { type: 'group' }>; readonly value: Uint8Array | null };

export function encodeOffsetsTopicRecord(record: OffsetsTopicRecord): { key: Buffer; value: Buffer | null } {
  const key = Buffer.from(JSON.stringify(record.key), 'utf8');
  if (record.value === null) return { key, value: null };
  if (record.key.type === 'group') return { key, value: Buffer.from(record.value as Uint8Array) };
  const offset = record.value as CommittedOffset;
  return { key, value: Buffer.from(JSON.stringify({ ...offset, offset: offset.offset.toString() }), 'utf8') };
}

export function decodeOffsetsTopicRecord(key: Uint8Array, value: Uint8Array | null): OffsetsTopicRecord {
  const parsedKey = parse(key) as Partial<{ type: string; group: unknown; topic: unknown; partition: unknown }>;
  if (parsedKey.type === 'group' && typeof parsedKey.group === 'string') {
    return { key: { type: 'group', group: parsedKey.group }, value: value === null ? null : Buffer.from(value) };
  }
  if (parsedKey.type === 'offset' && typeof parsedKey.group === 'string' && typeof parsedKey.topic === 'string' && Number.isInteger(parsedKey.partition)) {
    const key = { type: 'offset', group: parsedKey.group, topic: parsedKey.topic, partition: parsedKey.partition as number } as const;
    if (value === null) return { key, value: null };
    const parsed = parse(value) as Partial<Record<keyof CommittedOffset, unknown>>;
    if (typeof parsed.offset !== 'string' || !/^-?\d+$/.test(parsed.offset) || !Number.isInteger(parsed.leaderEpoch) || typeof parsed.metadata !== 'string' || !Number.isFinite(parsed.commitTimestampMs)) {
      throw corrupt('offset value has missing or mistyped fields');
    }
    return {
      key,
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
