import type { EddyError } from '@eddy/base';
import { toEddyError } from '@eddy/protocol';

/** The error codes controller operations answer with; each is a name in the shared table. */
export type ControllerErrorCode =
  | 'INVALID_TOPIC_EXCEPTION'
  | 'TOPIC_ALREADY_EXISTS'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'INVALID_PARTITIONS'
  | 'INVALID_REPLICATION_FACTOR'
  | 'INVALID_REPLICA_ASSIGNMENT'
  | 'INVALID_CONFIG'
  | 'INVALID_REQUEST'
  | 'STALE_BROKER_EPOCH'
  | 'BROKER_ID_NOT_REGISTERED'
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'FENCED_LEADER_EPOCH'
  | 'INVALID_UPDATE_VERSION'
  | 'INELIGIBLE_REPLICA'
  | 'REASSIGNMENT_IN_PROGRESS'
  | 'NO_REASSIGNMENT_IN_PROGRESS';

export function controllerError(code: ControllerErrorCode, message: string): EddyError {
  return toEddyError(code, message);
}
