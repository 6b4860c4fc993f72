import { EddyError } from '@eddy/base';
import { type CallOptions, formatAddress, type ServiceClient } from '@eddy/protocol';
import { asEddyError, fromCode } from '../errors.js';
import type { Cluster } from './cluster.js';

/** The broker coordinating a group, as FindCoordinator named it. */
export interface CoordinatorNode {
  readonly brokerId: number;
  readonly address: string;
}

const coordinatorMovedCodes: ReadonlySet<string> = new Set([
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'NETWORK_EXCEPTION',
  'REQUEST_TIMED_OUT',
  'BROKER_NOT_AVAILABLE',
  'NODE_SHUTTING_DOWN',
]);

/**
 * Bound on the attempts of a deadline-bounded call (`retryingFor`): the deadline ends it first
 * unless backoffs are near zero.
 */
const deadlineAttemptsMax = 1_000;

/** True for an error after which the group's coordinator must be looked up again. */
export function isCoordinatorMovedError(error: EddyError): boolean {
  return coordinatorMovedCodes.has(error.code);
}

/**
 * Finds and remembers each group's coordinator, and runs group calls against it: a call that
 * fails because the coordinator moved (or is unreachable) forgets it, so the retry looks it up
 * again.
 */
export class GroupCoordinators {
  private readonly known = new Map<string, CoordinatorNode>();
  private readonly finding = new Map<string, Promise<CoordinatorNode>>();

  constructor(private readonly cluster: Cluster) {}

  /** The group's coordinator (one FindCoordinator call when not known; errors are thrown). */
  find(groupId: string): Promise<CoordinatorNode> {
    const known = this.known.get(groupId);
    if (known !== undefined) return Promise.resolve(known);
    let finding = this.finding.get(groupId);
    if (finding === undefined) {
      finding = this.lookUp(groupId).finally(() => this.finding.delete(groupId));
      this.finding.set(groupId, finding);
    }
    return finding;
  }

  forget(groupId: string): void {
    this.known.delete(groupId);
  }

  /**
   * One call to the group's coordinator. `run` throws an EddyError for an error code in the
   * answer (see `throwIfError`); errors that mean the coordinator moved make it forgotten.
   */
  async call<T>(
    groupId: string,
    run: (group: ServiceClient<'GroupService'>, options: CallOptions) => Promise<T>,
    timeoutMs?: number,
    signal?: AbortSignal,
  ): Promise<T> {
    const coordinator = await this.find(groupId);
    try {
      return await this.cluster.call({ address: coordinator.address }, (connection, options) => run(connection.service('GroupService'), options), timeoutMs, signal);
    } catch (error: unknown) {
      const eddyError = asEddyError(error);
      if (isCoordinatorMovedError(eddyError)) this.forget(groupId);
      throw eddyError;
    }
  }

  /** `call` with the client's retry policy. */
  retrying<T>(
    groupId: string,
    run: (group: ServiceClient<'GroupService'>, options: CallOptions) => Promise<T>,
    timeoutMs?: number,
    signal?: AbortSignal,
  ): Promise<T> {
    return this.cluster.retrying(() => this.call(groupId, run, timeoutMs, signal), signal === undefined ? {} : { signal });
  }

  /**
   * `call` retried on retriable errors until `timeoutMs` has passed, whatever the attempt count:
   * for requests that must outlast a coordinator failover (an offset commit), where the retry
   * policy's attempts would run out while the old coordinator is still named. Each call gets
   * at most what is left of the time.
   */
  retryingFor<T>(
    groupId: string,
    run: (group: ServiceClient<'GroupService'>, options: CallOptions) => Promise<T>,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<T> {
    const deadlineMs = this.cluster.nowMs() + timeoutMs;
    const callTimeoutMs = (): number => Math.max(1, Math.min(this.cluster.options.requestTimeoutMs, deadlineMs - this.cluster.nowMs()));
    return this.cluster.retrying(() => this.call(groupId, run, callTimeoutMs(), signal), {
      ...(signal === undefined ? {} : { signal }),
      policy: { deadlineMs: timeoutMs, attemptsMax: deadlineAttemptsMax },
    });
  }

  private async lookUp(groupId: string): Promise<CoordinatorNode> {
    const response = await this.cluster.call('any', (connection, options) => connection.service('GroupService').findCoordinator({ groupIds: [groupId] }, options));
    const entry = response.coordinators.find((coordinator) => coordinator.groupId === groupId);
    if (entry === undefined) throw new EddyError('COORDINATOR_NOT_AVAILABLE', `FindCoordinator did not answer for group ${groupId}`, { retriable: true });
    if (entry.errorCode !== 'NONE') {
      const error = fromCode(entry.errorCode, entry.errorMessage);
      throw new EddyError(error.code, `group ${groupId}: ${error.message}`, { retriable: error.retriable });
    }
    const node = { brokerId: entry.brokerId, address: formatAddress(entry.host, entry.port) };
    this.known.set(groupId, node);
    return node;
  }
}
