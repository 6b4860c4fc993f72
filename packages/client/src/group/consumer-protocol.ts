import { assert, EddyError } from '@eddy/base';
import { compareStrings, compareTopicPartitions } from './assignors/assignment-input.js';
import type { AssignorMember, TopicPartition } from './assignors/types.js';
import { groupClientLimits } from './limits.js';

/**
 * The consumer protocol: what a consumer puts in the opaque `metadata` bytes of JoinGroup (its
 * subscription) and what the leader puts in the opaque `assignment` bytes of SyncGroup. The
 * coordinator never reads them; only consumers do, so the format is the client's.
 *
 * The encoding is versioned JSON. A reader accepts any version >= 1 and reads the fields it
 * knows (later versions only add fields), so members on different releases can share a group,
 * as Kafka's ConsumerProtocol allows. Partitions are grouped by topic to keep large
 * assignments small: `{"topic":"t","partitions":[0,1,2]}`.
 */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';
export const CONSUMER_PROTOCOL_VERSION = 1;

export interface ConsumerSubscription {
  /** Topics the member subscribes to, sorted, without duplicates. */
  readonly topics: readonly string[];
  /** Partitions the member owns now (the sticky assignor keeps them where it can). */
  readonly ownedPartitions: readonly TopicPartition[];
  /** The generation `ownedPartitions` were assigned in; -1 when the member owns nothing yet. */
  readonly generationId: number;
}

export interface ConsumerAssignment {
  readonly partitions: readonly TopicPartition[];
}

/** Bytes from another member that cannot be read as the consumer protocol. */
export class GroupProtocolError extends EddyError {
  override readonly name = 'GroupProtocolError';

  constructor(message: string) {
    super('INCONSISTENT_GROUP_PROTOCOL', message, { retriable: false });
  }
}

interface TopicPartitionsJson {
  readonly topic: string;
  readonly partitions: readonly number[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeSubscription(subscription: ConsumerSubscription): Uint8Array {
  assert(Number.isSafeInteger(subscription.generationId) && subscription.generationId >= -1, 'generationId is -1 or a generation');
  const topics = [...new Set(subscription.topics)].sort(compareStrings);
  for (const topic of topics) assertTopicName(topic);
  return toBytes({
    version: CONSUMER_PROTOCOL_VERSION,
    topics,
    ownedPartitions: groupByTopic(subscription.ownedPartitions),
    generationId: subscription.generationId,
  });
}

export function decodeSubscription(bytes: Uint8Array): ConsumerSubscription {
  const json = fromBytes(bytes, 'subscription');
  const topics = json['topics'];
  if (!Array.isArray(topics) || topics.length > groupClientLimits.subscribedTopicsMax) {
    throw new GroupProtocolError(`subscription: topics must be a list of at most ${groupClientLimits.subscribedTopicsMax} names`);
  }
  const names: string[] = [];
  for (const topic of topics) {
    if (!isTopicName(topic)) throw new GroupProtocolError(`subscription: invalid topic name ${JSON.stringify(topic)}`);
    names.push(topic);
  }
  const generationId = json['generationId'] ?? -1;
  if (typeof generationId !== 'number' || !Number.isSafeInteger(generationId) || generationId < -1) {
    throw new GroupProtocolError(`subscription: invalid generationId ${JSON.stringify(generationId)}`);
  }
  return {
    topics: [...new Set(names)].sort(compareStrings),
    ownedPartitions: readPartitions(json['ownedPartitions'] ?? [], 'subscription.ownedPartitions'),
    generationId,
  };
}

export function encodeAssignment(assignment: ConsumerAssignment): Uint8Array {
  return toBytes({ version: CONSUMER_PROTOCOL_VERSION, partitions: groupByTopic(assignment.partitions) });
}

/**
 * Empty bytes are an empty assignment: the coordinator hands them to members the leader left
 * out, as Kafka does.
 */
export function decodeAssignment(bytes: Uint8Array): ConsumerAssignment {
  if (bytes.length === 0) return { partitions: [] };
  const json = fromBytes(bytes, 'assignment');
  return { partitions: readPartitions(json['partitions'] ?? [], 'assignment.partitions') };
}

/** The assignor's view of one member of a JoinGroup response (the leader decodes every member). */
export function toAssignorMember(member: {
  readonly memberId: string;
  readonly groupInstanceId?: string | null | undefined;
  readonly metadata: Uint8Array;
}): AssignorMember {
  const subscription = decodeSubscription(member.metadata);
  return {
    memberId: member.memberId,
    ...(member.groupInstanceId === null || member.groupInstanceId === undefined ? {} : { groupInstanceId: member.groupInstanceId }),
    subscription: subscription.topics,
    ownedPartitions: subscription.ownedPartitions,
    generationId: subscription.generationId,
  };
}

function groupByTopic(partitions: readonly TopicPartition[]): TopicPartitionsJson[] {
  const sorted = [...partitions].sort(compareTopicPartitions);
  const out: { topic: string; partitions: number[] }[] = [];
  for (const tp of sorted) {
    assertTopicName(tp.topic);
    assert(Number.isInteger(tp.partition) && tp.partition >= 0 && tp.partition <= groupClientLimits.partitionMax, `invalid partition ${tp.partition}`);
    const last = out[out.length - 1];
    if (last !== undefined && last.topic === tp.topic) {
      if (last.partitions[last.partitions.length - 1] !== tp.partition) last.partitions.push(tp.partition);
    } else {
      out.push({ topic: tp.topic, partitions: [tp.partition] });
    }
  }
  return out;
}

function readPartitions(value: unknown, what: string): TopicPartition[] {
  if (!Array.isArray(value)) throw new GroupProtocolError(`${what} must be a list`);
  const out: TopicPartition[] = [];
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null) throw new GroupProtocolError(`${what}: entries must be objects`);
    const { topic, partitions } = entry as Record<string, unknown>;
    if (!isTopicName(topic)) throw new GroupProtocolError(`${what}: invalid topic name ${JSON.stringify(topic)}`);
    if (!Array.isArray(partitions)) throw new GroupProtocolError(`${what}: partitions of ${topic} must be a list`);
    if (out.length + partitions.length > groupClientLimits.memberPartitionsMax) {
      throw new GroupProtocolError(`${what}: more than ${groupClientLimits.memberPartitionsMax} partitions`);
    }
    for (const partition of partitions) {
      if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 || partition > groupClientLimits.partitionMax) {
        throw new GroupProtocolError(`${what}: invalid partition ${JSON.stringify(partition)} of ${topic}`);
      }
      out.push({ topic, partition });
    }
  }
  return out;
}

function toBytes(value: Record<string, unknown>): Uint8Array {
  const bytes = encoder.encode(JSON.stringify(value));
  if (bytes.length > groupClientLimits.metadataBytesMax) {
    throw new GroupProtocolError(`encoded group metadata is ${bytes.length} bytes, above the limit of ${groupClientLimits.metadataBytesMax}`);
  }
  return bytes;
}

function fromBytes(bytes: Uint8Array, what: string): Record<string, unknown> {
  if (bytes.length > groupClientLimits.metadataBytesMax) {
    throw new GroupProtocolError(`${what} of ${bytes.length} bytes is above the limit of ${groupClientLimits.metadataBytesMax}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new GroupProtocolError(`${what} is not consumer protocol JSON: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new GroupProtocolError(`${what} must be a JSON object`);
  const record = json as Record<string, unknown>;
  const version = record['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new GroupProtocolError(`${what} has no valid version (got ${JSON.stringify(version)})`);
  }
  return record;
}

function isTopicName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= groupClientLimits.topicNameLengthMax;
}

function assertTopicName(topic: string): void {
  assert(isTopicName(topic), `invalid topic name ${JSON.stringify(topic)}`);
}
