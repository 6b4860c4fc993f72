import type { Logger } from '@eddy/base';
import type { Endpoint } from '@eddy/metadata';
import type { ServiceClient } from '@eddy/protocol';

/** A controlled shutdown gives up after this many heartbeats in a row reach no controller. */
const CONTROLLER_UNREACHABLE_BEATS = 5;

export type BrokerState = 'registering' | 'fenced' | 'running' | 'shuttingDown' | 'stopped';

export interface BrokerLifecycleOptions {
  readonly nodeId: number;
  /** New on every start, so the controller can tell a restarted broker from a retry. */
  readonly incarnationId: string;
  readonly endpoint: Endpoint;
  readonly rack: string | null;
  /** The active controller's ControllerService, when a quorum leader is known. */
  readonly controller: () => ServiceClient<'ControllerService'> | undefined;
  /** The highest metadata offset this node has applied. */
  readonly metadataOffset: () => number;
  /** Called after each successful registration, once `brokerEpoch` is known. */
  readonly onRegistered?: () => void;
  readonly heartbeatIntervalMs: number;
  readonly logger: Logger;
}

/**
 * A broker's session with the controller, as in KRaft: register (and re-register after losing
 * the registration), then heartbeat with the metadata offset reached; the controller unfences
 * the broker once it has caught up with its own registration and fences it when heartbeats stop.
 * A controlled shutdown heartbeats `wantShutdown` until the controller has moved leadership away.
 */
export class BrokerLifecycle {
  private stateNow: BrokerState = 'registering';
  private epoch = -1;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private shutdownGranted = false;
  /** Heartbeats in a row that reached no controller (none known, or the call failed). */
  private unanswered = 0;

  constructor(private readonly options: BrokerLifecycleOptions) {}

  get state(): BrokerState {
    return this.stateNow;
  }

  get brokerEpoch(): number {
    return this.epoch;
  }

  start(): void {
    this.schedule(0);
  }

  /**
   * Asks the controller to move leadership off this broker; resolves true when it may exit,
   * false when the controller did not agree in time or cannot be reached (the whole cluster
   * is stopping: nobody is left to take leadership over).
   */
  async controlledShutdown(timeoutMs: number): Promise<boolean> {
    if (this.epoch < 0) return true;
    this.stateNow = 'shuttingDown';
    this.unanswered = 0;
    const deadline = Date.now() + timeoutMs;
    while (!this.shutdownGranted && Date.now() < deadline && this.unanswered < CONTROLLER_UNREACHABLE_BEATS) {
      await this.inFlight;
      if (this.shutdownGranted) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, this.options.heartbeatIntervalMs)));
      this.inFlight = this.beat();
    }
    return this.shutdownGranted;
  }

  stop(): void {
    this.stateNow = 'stopped';
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stateNow === 'stopped' || this.stateNow === 'shuttingDown') return;
    this.timer = setTimeout(() => {
      this.inFlight = (this.epoch < 0 ? this.register() : this.beat()).finally(() => this.schedule(this.options.heartbeatIntervalMs));
    }, delayMs);
    this.timer.unref();
  }

  private async register(): Promise<void> {
    const controller = this.options.controller();
    if (controller === undefined) return;
    const { nodeId, incarnationId, endpoint, rack, logger } = this.options;
    try {
      const response = await controller.registerBroker(
        { brokerId: nodeId, clusterId: '', incarnationId, host: endpoint.host, port: endpoint.port, rack: rack ?? '', previousBrokerEpoch: -1n },
        { timeoutMs: this.options.heartbeatIntervalMs * 2 },
      );
      if (response.errorCode !== 'NONE') {
        logger.debug({ code: response.errorCode }, 'registration refused; retrying');
        return;
      }
      this.epoch = Number(response.brokerEpoch);
      this.stateNow = 'fenced';
      logger.info({ brokerEpoch: this.epoch }, 'registered with the controller');
      this.options.onRegistered?.();
      await this.beat();
    } catch (error: unknown) {
      logger.debug({ err: error }, 'registration failed; retrying');
    }
  }

  private async beat(): Promise<void> {
    const controller = this.options.controller();
    if (controller === undefined || this.epoch < 0) {
      this.unanswered++;
      return;
    }
    const shuttingDown = this.stateNow === 'shuttingDown';
    try {
      const response = await controller.brokerHeartbeat(
        { brokerId: this.options.nodeId, brokerEpoch: BigInt(this.epoch), currentMetadataOffset: BigInt(this.options.metadataOffset()), wantFence: false, wantShutdown: shuttingDown },
        { timeoutMs: this.options.heartbeatIntervalMs * 2 },
      );
      if (response.errorCode === 'STALE_BROKER_EPOCH' || response.errorCode === 'BROKER_ID_NOT_REGISTERED') {
        this.options.logger.warn({ code: response.errorCode }, 'the controller lost this registration; registering again');
        this.epoch = -1;
        this.stateNow = 'registering';
        return;
      }
      if (response.errorCode !== 'NONE') {
        this.unanswered++;
        return;
      }
      this.unanswered = 0;
      if (shuttingDown) {
        this.shutdownGranted = response.shouldShutdown;
        return;
      }
      const next: BrokerState = response.isFenced ? 'fenced' : 'running';
      if (next !== this.stateNow) this.options.logger.info({ state: next }, next === 'running' ? 'unfenced: serving' : 'fenced');
      this.stateNow = next;
    } catch (error: unknown) {
      this.unanswered++;
      this.options.logger.debug({ err: error }, 'heartbeat failed');
    }
  }
}
