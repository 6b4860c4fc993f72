import { assert, EddyError } from '@eddy/base';

/**
 * The one table of error codes, used by servers and clients alike. Each entry gives the wire
 * number (the `ErrorCode` enum of proto/eddy/v1/common.proto has exactly these names and
 * numbers; a test keeps them equal), whether a request that failed with it may succeed when
 * tried again (possibly after a metadata refresh), and a default message.
 *
 * Numbers below 1000 are Kafka's for the same condition, so Kafka users recognise them; names
 * are Kafka's too, except CORRUPT_RECORD (Kafka: CORRUPT_MESSAGE) and STORAGE_ERROR (Kafka:
 * KAFKA_STORAGE_ERROR). Eddy's own codes start at 1000. Retriable flags follow Kafka's, except
 * CORRUPT_RECORD: TCP and HTTP/2 deliver the bytes the producer sent, so the same batch fails
 * again.
 */
export const errorCodes = {
  NONE: { number: 0, retriable: false, message: 'No error.' },
  UNKNOWN_SERVER_ERROR: { number: -1, retriable: false, message: 'The server failed to process the request for an unexpected reason.' },
  OFFSET_OUT_OF_RANGE: { number: 1, retriable: false, message: 'The offset is outside the range the partition log holds.' },
  CORRUPT_RECORD: { number: 2, retriable: false, message: 'A record batch failed its CRC or structure checks.' },
  UNKNOWN_TOPIC_OR_PARTITION: { number: 3, retriable: true, message: 'This broker does not know the topic or partition.' },
  INVALID_FETCH_SIZE: { number: 4, retriable: false, message: 'The fetch size is not valid.' },
  LEADER_NOT_AVAILABLE: { number: 5, retriable: true, message: 'The partition has no leader right now (an election is under way).' },
  NOT_LEADER_OR_FOLLOWER: { number: 6, retriable: true, message: 'This broker is not the leader (or not a replica) of the partition.' },
  REQUEST_TIMED_OUT: { number: 7, retriable: true, message: 'The request timed out.' },
  BROKER_NOT_AVAILABLE: { number: 8, retriable: true, message: 'The broker is not available.' },
  REPLICA_NOT_AVAILABLE: { number: 9, retriable: true, message: 'The replica is not available for the partition.' },
  MESSAGE_TOO_LARGE: { number: 10, retriable: false, message: 'The request holds a record batch or message larger than the limit.' },
  OFFSET_METADATA_TOO_LARGE: { number: 12, retriable: false, message: 'The metadata of the offset commit is too large.' },
  NETWORK_EXCEPTION: { number: 13, retriable: true, message: 'The connection to the broker failed before an answer arrived.' },
  COORDINATOR_LOAD_IN_PROGRESS: { number: 14, retriable: true, message: 'The group coordinator is still loading its state.' },
  COORDINATOR_NOT_AVAILABLE: { number: 15, retriable: true, message: 'The group coordinator is not available.' },
  NOT_COORDINATOR: { number: 16, retriable: true, message: 'This broker is not the coordinator of the group.' },
  INVALID_TOPIC_EXCEPTION: { number: 17, retriable: false, message: 'The topic name is not valid.' },
  RECORD_LIST_TOO_LARGE: { number: 18, retriable: false, message: 'The record batches are larger than the segment size.' },
  NOT_ENOUGH_REPLICAS: { number: 19, retriable: true, message: 'Fewer replicas are in sync than min.insync.replicas requires.' },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: { number: 20, retriable: true, message: 'The records were appended, but to fewer in-sync replicas than required.' },
  INVALID_REQUIRED_ACKS: { number: 21, retriable: false, message: 'acks must be 0, 1 or -1.' },
  ILLEGAL_GENERATION: { number: 22, retriable: false, message: 'The generation of the group member is not current.' },
  INCONSISTENT_GROUP_PROTOCOL: { number: 23, retriable: false, message: "The member's protocols do not match the group's." },
  INVALID_GROUP_ID: { number: 24, retriable: false, message: 'The group id is not valid.' },
  UNKNOWN_MEMBER_ID: { number: 25, retriable: false, message: 'The coordinator does not know this member.' },
  INVALID_SESSION_TIMEOUT: { number: 26, retriable: false, message: 'The session timeout is outside the range the broker allows.' },
  REBALANCE_IN_PROGRESS: { number: 27, retriable: false, message: 'The group is rebalancing; the member must rejoin.' },
  INVALID_COMMIT_OFFSET_SIZE: { number: 28, retriable: false, message: 'The offset commit is too large.' },
  INVALID_TIMESTAMP: { number: 32, retriable: false, message: 'The timestamp is outside the accepted range.' },
  UNSUPPORTED_VERSION: { number: 35, retriable: false, message: 'The server does not support this request.' },
  TOPIC_ALREADY_EXISTS: { number: 36, retriable: false, message: 'A topic with this name already exists.' },
  INVALID_PARTITIONS: { number: 37, retriable: false, message: 'The number of partitions is not valid.' },
  INVALID_REPLICATION_FACTOR: { number: 38, retriable: false, message: 'The replication factor is below 1 or above the number of live brokers.' },
  INVALID_REPLICA_ASSIGNMENT: { number: 39, retriable: false, message: 'The replica assignment is not valid.' },
  INVALID_CONFIG: { number: 40, retriable: false, message: 'The configuration is not valid.' },
  NOT_CONTROLLER: { number: 41, retriable: true, message: 'This node is not the active controller.' },
  INVALID_REQUEST: { number: 42, retriable: false, message: 'The request is malformed or not valid.' },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { number: 45, retriable: false, message: 'The producer sequence number is out of order.' },
  DUPLICATE_SEQUENCE_NUMBER: { number: 46, retriable: false, message: 'The producer sequence number was already written.' },
  INVALID_PRODUCER_EPOCH: { number: 47, retriable: false, message: 'The producer epoch is older than the current one.' },
  OPERATION_NOT_ATTEMPTED: { number: 55, retriable: false, message: 'The operation was not attempted because another part of the request failed.' },
  STORAGE_ERROR: { number: 56, retriable: true, message: 'The broker failed to read or write its log directory.' },
  UNKNOWN_PRODUCER_ID: { number: 59, retriable: false, message: 'The broker has no state for this producer id.' },
  REASSIGNMENT_IN_PROGRESS: { number: 60, retriable: false, message: 'A reassignment of the partition is in progress.' },
  NON_EMPTY_GROUP: { number: 68, retriable: false, message: 'The group has members.' },
  GROUP_ID_NOT_FOUND: { number: 69, retriable: false, message: 'The group does not exist.' },
  FENCED_LEADER_EPOCH: { number: 74, retriable: true, message: 'The leader epoch in the request is older than the current one.' },
  UNKNOWN_LEADER_EPOCH: { number: 75, retriable: true, message: 'The leader epoch in the request is newer than the one this broker knows.' },
  UNSUPPORTED_COMPRESSION_TYPE: { number: 76, retriable: false, message: 'The compression type is not supported.' },
  STALE_BROKER_EPOCH: { number: 77, retriable: false, message: 'The broker epoch is not the current registration.' },
  OFFSET_NOT_AVAILABLE: { number: 78, retriable: true, message: 'The new leader has not caught up its high watermark yet.' },
  MEMBER_ID_REQUIRED: { number: 79, retriable: false, message: 'The member must rejoin with the member id it was given.' },
  PREFERRED_LEADER_NOT_AVAILABLE: { number: 80, retriable: true, message: 'The preferred leader is not available.' },
  GROUP_MAX_SIZE_REACHED: { number: 81, retriable: false, message: 'The group has reached its maximum size.' },
  FENCED_INSTANCE_ID: { number: 82, retriable: false, message: 'Another member took over this group.instance.id.' },
  ELIGIBLE_LEADERS_NOT_AVAILABLE: { number: 83, retriable: true, message: 'No eligible replica can become leader.' },
  ELECTION_NOT_NEEDED: { number: 84, retriable: true, message: 'The partition already has its preferred leader.' },
  NO_REASSIGNMENT_IN_PROGRESS: { number: 85, retriable: false, message: 'No reassignment of the partition is in progress.' },
  GROUP_SUBSCRIBED_TO_TOPIC: { number: 86, retriable: false, message: 'The group consumes the topic; its offsets cannot be deleted.' },
  INVALID_RECORD: { number: 87, retriable: false, message: 'A record failed validation on the broker.' },
  THROTTLING_QUOTA_EXCEEDED: { number: 89, retriable: true, message: 'A quota was exceeded; retry later.' },
  RESOURCE_NOT_FOUND: { number: 91, retriable: false, message: 'The resource does not exist.' },
  DUPLICATE_RESOURCE: { number: 92, retriable: false, message: 'The request names the same resource twice.' },
  INCONSISTENT_VOTER_SET: { number: 94, retriable: false, message: 'The sender or receiver is not one of the expected voters.' },
  INVALID_UPDATE_VERSION: { number: 95, retriable: false, message: 'The update is based on a version that is not current.' },
  SNAPSHOT_NOT_FOUND: { number: 98, retriable: false, message: 'The snapshot does not exist.' },
  POSITION_OUT_OF_RANGE: { number: 99, retriable: false, message: 'The position is outside the snapshot.' },
  UNKNOWN_TOPIC_ID: { number: 100, retriable: true, message: 'This broker does not know the topic id.' },
  DUPLICATE_BROKER_REGISTRATION: { number: 101, retriable: false, message: 'Another live broker is registered with this id.' },
  BROKER_ID_NOT_REGISTERED: { number: 102, retriable: false, message: 'No broker is registered with this id.' },
  INCONSISTENT_TOPIC_ID: { number: 103, retriable: true, message: "The topic id does not match the log's topic id." },
  INCONSISTENT_CLUSTER_ID: { number: 104, retriable: false, message: 'The cluster id does not match this node.' },
  INELIGIBLE_REPLICA: { number: 107, retriable: false, message: 'The new ISR contains a replica that cannot be in it.' },
  NEW_LEADER_ELECTED: { number: 108, retriable: false, message: 'The partition changed, but a new leader was elected.' },
  INVALID_VOTER_KEY: { number: 125, retriable: false, message: "The voter id does not match the receiving node's." },
  DUPLICATE_VOTER: { number: 126, retriable: false, message: 'The node is already a voter.' },
  VOTER_NOT_FOUND: { number: 127, retriable: false, message: 'The node is not a voter.' },
  CANCELLED: { number: 1000, retriable: false, message: 'The request was cancelled.' },
  NODE_SHUTTING_DOWN: { number: 1001, retriable: true, message: 'The node is shutting down.' },
  QUORUM_NOT_AVAILABLE: { number: 1002, retriable: true, message: 'The metadata quorum has no leader or cannot reach a majority.' },
  VOTER_CHANGE_IN_PROGRESS: { number: 1003, retriable: true, message: 'Another voter change is not committed yet.' },
  TOO_MANY_INFLIGHT_REQUESTS: { number: 1004, retriable: true, message: 'The stream has more requests in flight than the broker accepts.' },
} as const satisfies Record<string, { readonly number: number; readonly retriable: boolean; readonly message: string }>;

/** A name from the error-code table; also what `EddyError.code` holds for wire errors. */
export type ErrorCodeName = keyof typeof errorCodes;

export interface ErrorCodeInfo {
  readonly name: ErrorCodeName;
  readonly number: number;
  readonly retriable: boolean;
  readonly message: string;
}

/** The table as a list, in table order. */
export const errorCodeList: readonly ErrorCodeInfo[] = Object.entries(errorCodes).map(([name, entry]) => ({
  name: name as ErrorCodeName,
  ...entry,
}));

const byName = new Map<string, ErrorCodeInfo>(errorCodeList.map((info) => [info.name, info]));
const byNumber = new Map<number, ErrorCodeInfo>(errorCodeList.map((info) => [info.number, info]));
assert(byNumber.size === errorCodeList.length, 'error code numbers are unique');

/** The `ErrorCode` enum as name → number (what the proto declares). */
export const errorCodeNumbers: Readonly<Record<ErrorCodeName, number>> = Object.fromEntries(
  errorCodeList.map((info) => [info.name, info.number]),
) as Record<ErrorCodeName, number>;

export function isErrorCodeName(name: string): name is ErrorCodeName {
  return byName.has(name);
}

export function errorCodeByName(name: string): ErrorCodeInfo | undefined {
  return byName.get(name);
}

export function errorCodeByNumber(number: number): ErrorCodeInfo | undefined {
  return byNumber.get(number);
}

/**
 * The error for a code received on the wire (a name, or a number from a peer with a newer
 * table: unknown numbers become UNKNOWN_SERVER_ERROR, naming the number). The message defaults
 * to the table's. NONE is not an error: asking for one is a bug.
 */
export function toEddyError(code: ErrorCodeName | number, message?: string, options: { readonly cause?: unknown } = {}): EddyError {
  const info = typeof code === 'number' ? errorCodeByNumber(code) : errorCodeByName(code);
  assert(info?.name !== 'NONE', 'NONE is not an error');
  const text = message === undefined || message === '' ? undefined : message;
  if (info === undefined) {
    const what = `error code ${String(code)} is not in this build's table`;
    return new EddyError('UNKNOWN_SERVER_ERROR', text === undefined ? what : `${text} (${what})`, { cause: options.cause });
  }
  return new EddyError(info.name, text ?? info.message, { retriable: info.retriable, cause: options.cause });
}

/** The error-code pair every response and response item carries. */
export interface WireError {
  errorCode: ErrorCodeName;
  errorMessage: string;
}

/** Success, to spread into a response item: `{ ...noError, partition: 0, ... }`. */
export const noError: Readonly<WireError> = Object.freeze({ errorCode: 'NONE', errorMessage: '' });

/**
 * What to put on the wire for an error a handler caught: an EddyError keeps its code and
 * message (a code the table does not know becomes UNKNOWN_SERVER_ERROR, naming it); anything
 * else is UNKNOWN_SERVER_ERROR with the error's message. Stacks never go on the wire.
 */
export function toWireError(error: unknown): WireError {
  if (error instanceof EddyError) {
    if (isErrorCodeName(error.code) && error.code !== 'NONE') return { errorCode: error.code, errorMessage: error.message };
    return { errorCode: 'UNKNOWN_SERVER_ERROR', errorMessage: `${error.code}: ${error.message}` };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { errorCode: 'UNKNOWN_SERVER_ERROR', errorMessage: message };
}

/** The error an item received on the wire reports, or undefined when it reports NONE. */
export function fromWireError(item: Readonly<WireError>): EddyError | undefined {
  return item.errorCode === 'NONE' ? undefined : toEddyError(item.errorCode, item.errorMessage);
}
