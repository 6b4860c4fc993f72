import type { Clock, EddyError, Logger, Prng } from '@eddy/base';
import { toEddyError } from '@eddy/protocol';
import { MetadataDelta, type MetadataImage } from '@eddy/metadata';
import { encodeMetadataEntry } from '../metadata/metadata-loader.js';
import { ControllerCore, type ControllerConfig, type ControllerResult } from './controller-core.js';
import { type ListenerProbe, probeListener } from './listener-probe.js';

/** The metadata log as the active controller writes it (the Raft quorum, seen from its leader). */
export interface MetadataLogWriter {
  /**
   * Appends one entry if this node still leads the quorum: returns its index and a promise that
   * settles once it is committed (rejecting if leadership is lost first), or undefined when this
   * node is not the leader.
   */
  append(data: Uint8Array): { readonly index: number; readonly committed: Promise<void> } | undefined;
}

export type ControllerOperation<T> = (core: ControllerCore, nowMs: number) => ControllerResult<T>;

/**
 * Runs controller operations one at a time on the active controller: the pure core decides,
 * the records go into the metadata log as one entry, the core's image moves ahead at once
 * (so the next operation sees them), and the caller gets the answer when the entry commits.
 * A node that is not the active controller answers NOT_CONTROLLER, which clients retry.
 */
export class ControllerDriver {
  private core: ControllerCore | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private probing = false;

  constructor(
    private readonly log: MetadataLogWriter,
    private readonly prng: Prng,
    private readonly config: ControllerConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly probe: ListenerProbe = probeListener,
  ) {}

  get isActive(): boolean {
    return this.core !== undefined;
  }

  /**
   * This node leads the quorum and has applied every entry of its log (its new-term entry is
   * committed), so `image` is the whole truth: start deciding.
   */
  activate(image: MetadataImage): void {
    this.core = new ControllerCore(image, this.prng, this.config);
    this.logger.info({ metadataOffset: image.offset }, 'became the active controller');
    void this.run((core, nowMs) => core.becomeActive(nowMs)).catch((error: unknown) => this.logger.warn({ err: error }, 'activation records failed'));
    this.every(Math.max(50, Math.floor(this.config.sessionTimeoutMs / 4)), () =>
      this.run((core, nowMs) => core.fenceExpiredBrokers(nowMs)).then((fenced) => {
        if (fenced.length > 0) this.logger.warn({ brokers: fenced }, 'fenced brokers whose session expired');
      }),
    );
    if (this.config.probeSilentBrokersAfterMs > 0) {
      this.every(Math.max(50, Math.floor(this.config.probeSilentBrokersAfterMs / 2)), async () => void (await this.fenceUnreachableBrokers()));
    }
    if (this.config.preferredLeaderCheckIntervalMs > 0) {
      this.every(this.config.preferredLeaderCheckIntervalMs, () =>
        this.run((core) => core.electPreferredLeaders()).then((moved) => {
          if (moved.length > 0) this.logger.info({ partitions: moved.length }, 'moved leadership back to preferred replicas');
        }),
      );
    }
  }

  /**
   * Probes the listeners of brokers that missed heartbeats and fences those whose connection
   * was refused, without waiting for their session to expire (a periodic duty; public so tests
   * can run one round). Probes of one round run in parallel; rounds never overlap.
   */
  async fenceUnreachableBrokers(): Promise<readonly number[]> {
    const silenceMs = this.config.probeSilentBrokersAfterMs;
    if (this.probing || silenceMs <= 0) return [];
    this.probing = true;
    try {
      const silent = await this.run((core, nowMs) => ({ records: [], response: core.silentBrokers(nowMs, silenceMs) }));
      const results = await Promise.all(silent.map((broker) => this.probe(broker.endpoint, silenceMs)));
      const refused = silent.filter((_, i) => results[i] === 'refused');
      if (refused.length === 0) return [];
      const fenced = await this.run((core, nowMs) => core.fenceUnreachableBrokers(refused, nowMs, silenceMs));
      if (fenced.length > 0) this.logger.warn({ brokers: fenced }, 'fenced brokers whose listener refused connections');
      return fenced;
    } finally {
      this.probing = false;
    }
  }

  /** A periodic duty of the active controller; failures are logged and retried next time. */
  private every(intervalMs: number, duty: () => Promise<void>): void {
    const timer = setInterval(() => {
      duty().catch((error: unknown) => this.logger.debug({ err: error }, 'periodic controller duty failed'));
    }, intervalMs);
    timer.unref();
    this.timers.push(timer);
  }

  /** Leadership is gone: queued and future operations fail with NOT_CONTROLLER. */
  deactivate(): void {
    if (this.core === undefined) return;
    this.core = undefined;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.logger.info('resigned as the active controller');
  }

  /**
   * Runs `operation` after every operation queued before it and settles once its records are
   * committed. Only deciding and appending are serialized; commits overlap, so one slow quorum
   * round does not hold back the operations behind it.
   */
  async run<T>(operation: ControllerOperation<T>): Promise<T> {
    const decided = this.queue.then(() => this.decide(operation));
    this.queue = decided.catch(() => undefined);
    const { response, committed } = await decided;
    await committed;
    return response;
  }

  private decide<T>(operation: ControllerOperation<T>): { response: T; committed: Promise<void> } {
    const core = this.core;
    if (core === undefined) throw notController();
    const result = operation(core, this.clock.monotonicMs());
    if (result.records.length === 0) return { response: result.response, committed: Promise.resolve() };
    const appended = this.log.append(encodeMetadataEntry(result.records));
    if (appended === undefined) {
      this.deactivate();
      throw notController();
    }
    const delta = new MetadataDelta(core.latestImage);
    for (const record of result.records) delta.replay(record);
    core.onImage(delta.apply(appended.index));
    const committed = appended.committed.catch(() => {
      throw notController();
    });
    return { response: result.response, committed };
  }
}

function notController(): EddyError {
  return toEddyError('NOT_CONTROLLER');
}
