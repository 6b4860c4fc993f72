import { EddyError, type EddyErrorOptions } from '@eddy/base';
import type { NodeId, Refusal, RefusalReason } from '../core/types.js';

/**
 * Operating failures a RaftDriver reports (names from the shared error-code table):
 * - NOT_LEADER_OR_FOLLOWER: not the leader (leaderId names it, when known), or the proposal
 *   was overwritten by another leader's entry and is certainly not committed.
 * - LEADER_NOT_AVAILABLE: leadership is being transferred.
 * - MESSAGE_TOO_LARGE: a proposal above proposalBytesMax.
 * - TOO_MANY_INFLIGHT_REQUESTS: too much uncommitted data or too many pending reads.
 * - VOTER_CHANGE_IN_PROGRESS: a membership change is not committed yet.
 * - INVALID_REQUEST: a membership change that does not fit the membership.
 * - REQUEST_TIMED_OUT: no outcome within the request timeout; the proposal may still commit.
 * - NODE_SHUTTING_DOWN: the driver stopped.
 * - STORAGE_ERROR: the log store failed; the driver stopped.
 */
export type RaftErrorCode =
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'LEADER_NOT_AVAILABLE'
  | 'MESSAGE_TOO_LARGE'
  | 'TOO_MANY_INFLIGHT_REQUESTS'
  | 'VOTER_CHANGE_IN_PROGRESS'
  | 'INVALID_REQUEST'
  | 'REQUEST_TIMED_OUT'
  | 'NODE_SHUTTING_DOWN'
  | 'STORAGE_ERROR';

export class RaftError extends EddyError {
  override readonly name: string = 'RaftError';

  constructor(
    override readonly code: RaftErrorCode,
    message: string,
    readonly leaderId: NodeId | undefined = undefined,
    options: EddyErrorOptions = {},
  ) {
    super(code, message, { retriable: options.retriable ?? isRetriable(code), cause: options.cause });
  }

  static fromRefusal(refusal: Refusal): RaftError {
    return new RaftError(codeOf(refusal.reason), refusal.message, refusal.leaderId);
  }
}

function codeOf(reason: RefusalReason): RaftErrorCode {
  switch (reason) {
    case 'notLeader':
      return 'NOT_LEADER_OR_FOLLOWER';
    case 'transferring':
      return 'LEADER_NOT_AVAILABLE';
    case 'tooLarge':
      return 'MESSAGE_TOO_LARGE';
    case 'busy':
      return 'TOO_MANY_INFLIGHT_REQUESTS';
    case 'membershipChangePending':
      return 'VOTER_CHANGE_IN_PROGRESS';
    case 'invalidChange':
      return 'INVALID_REQUEST';
  }
}

function isRetriable(code: RaftErrorCode): boolean {
  return code !== 'MESSAGE_TOO_LARGE' && code !== 'INVALID_REQUEST';
}
