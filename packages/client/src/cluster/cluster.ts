import { type Clock, EddyError, type Logger, type Prng } from '@eddy/base';
import { type CallOptions, type Connection, connect, errorCodeByName, type Protocol } from '@eddy/protocol';
import type * as grpc from '@grpc/grpc-js';
import { asEddyError, ClientClosedError, InvalidConfigError, TopicPartitionError } from '../errors.js';
import { type RetryDeps, type RetryOptions, withRetry } from '../retry.js';
import { sleep } from '../util/async.js';
import { MetadataCache, type TopicInfo } from './metadata-cache.js';

/** Where a call goes: any broker, the active controller, one broker by id, or an address. */
export type CallTarget = 'any' | 'controller' | number | { readonly address: string };

export interface ClusterOptions {
  readonly bootstrapServers: readonly string[];
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly metadataMaxAgeMs: number;
  readonly metadataRefreshBackoffMs: number;
  readonly allowAutoTopicCreation: boolean;
  readonly retry: RetryOptions;
  readonly protocol: Protocol;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly prng: Prng;
  readonly credentials?: grpc.ChannelCredentials;
  readonly channelOptions?: grpc.ChannelOptions;
}

/** Errors after which the metadata is probably stale (Kafka's InvalidMetadataException family, plus disconnects). */
const staleMetadataCodes: ReadonlySet<string> = new Set([
  'NOT_LEADER_OR_FOLLOWER',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NETWORK_EXCEPTION',
  'BROKER_NOT_AVAILABLE',
  'REPLICA_NOT_AVAILABLE',
  'REQUEST_TIMED_OUT',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'NOT_CONTROLLER',
  'STORAGE_ERROR',
  'NODE_SHUTTING_DOWN',
  'UNKNOWN_TOPIC_ID',
  'INCONSISTENT_TOPIC_ID',
  'OFFSET_NOT_AVAILABLE',
]);

/** True for an error after which the client should refresh its metadata. */
export function isStaleMetadataError(error: EddyError): boolean {
  return staleMetadataCodes.has(error.code);
}

/** Parses `host:port` (`[v6]:port` too); the port defaults to 9092. */
export function parseAddress(address: string): { host: string; port: number; address: string } {
  const trimmed = address.trim();
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(trimmed);
  const host = match?.[1] ?? match?.[2];
  const port = match?.[3] === undefined ? 9092 : Number(match[3]);
  if (match === null || host === undefined || host === '' || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new InvalidConfigError(`bootstrap server ${JSON.stringify(address)} is not host:port`);
  }
  const formatted = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return { host, port, address: formatted };
}

/**
 * The cluster as one client sees it: one gRPC channel per broker (opened on first use, reused,
 * closed on close), the metadata cache with its refresh policy, and the retry loop every call
 * goes through. Shared by the producers, consumers and admins of one `Eddy` client.
 */
export class Cluster {
  readonly metadata = new MetadataCache();
  readonly retryDeps: RetryDeps;
  private readonly bootstrap: readonly string[];
  private readonly connections = new Map<string, Connection>();
  private readonly interest = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private readonly abort = new AbortController();
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private lastRefreshStartMs = Number.NEGATIVE_INFINITY;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly maxAgeTimer: NodeJS.Timeout;
  private nextAnyIndex = 0;
  private closed = false;

  constructor(readonly options: ClusterOptions) {
    if (options.bootstrapServers.length === 0) throw new InvalidConfigError('bootstrapServers lists no broker');
    this.bootstrap = [...new Set(options.bootstrapServers.map((server) => parseAddress(server).address))];
    this.retryDeps = {
      prng: options.prng,
      nowMs: () => options.clock.monotonicMs(),
      sleep: (ms) => sleep(ms, this.abort.signal),
    };
    this.maxAgeTimer = setInterval(() => {
      if (options.clock.monotonicMs() - this.metadata.updatedAtMs >= options.metadataMaxAgeMs && this.metadata.updatedAtMs > Number.NEGATIVE_INFINITY) {
        this.refreshMetadata().catch((error: unknown) => this.logRefreshFailure(error));
      }
    }, Math.max(1_000, Math.min(options.metadataMaxAgeMs, 60_000)));
    this.maxAgeTimer.unref();
  }

  get logger(): Logger {
    return this.options.logger;
  }

  /** Aborts when the client closes: long waits and calls listen to it. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  nowMs(): number {
    return this.options.clock.monotonicMs();
  }

  /** The channel to `address` (`host:port`), opened on first use. */
  connection(address: string): Connection {
    this.ensureOpen();
    let connection = this.connections.get(address);
    if (connection === undefined) {
      connection = connect(this.options.protocol, address, {
        clientId: this.options.clientId,
        unaryTimeoutMs: this.options.requestTimeoutMs,
        ...(this.options.credentials === undefined ? {} : { credentials: this.options.credentials }),
        ...(this.options.channelOptions === undefined ? {} : { channelOptions: this.options.channelOptions }),
      });
      this.connections.set(address, connection);
    }
    return connection;
  }

  /** The channel to a broker the metadata knows; a retriable error (and a refresh) otherwise. */
  brokerConnection(brokerId: number): Connection {
    const broker = this.metadata.brokers.get(brokerId);
    if (broker === undefined) {
      this.requestRefresh();
      throw new EddyError('BROKER_NOT_AVAILABLE', `broker ${brokerId} is not in the metadata`, { retriable: true });
    }
    return this.connection(broker.address);
  }

  /** Some broker's channel: known brokers in turn, the bootstrap servers before the first metadata. */
  anyConnection(): Connection {
    const brokers = [...this.metadata.brokers.values()];
    const addresses = brokers.length > 0 ? brokers.map((broker) => broker.address) : this.bootstrap;
    const address = addresses[this.nextAnyIndex++ % addresses.length];
    if (address === undefined) throw new EddyError('BROKER_NOT_AVAILABLE', 'no broker is known', { retriable: true });
    return this.connection(address);
  }

  /**
   * One unary call (no retry) with the client's deadline: `run` gets the target's channel and the
   * call options (deadline, and the close signal that cancels it). Errors come back as
   * EddyErrors and stale-metadata errors trigger a refresh.
   */
  async call<T>(
    target: CallTarget,
    run: (connection: Connection, options: CallOptions) => Promise<T>,
    timeoutMs = this.options.requestTimeoutMs,
    signal?: AbortSignal,
  ): Promise<T> {
    try {
      // Controller operations go straight to the controller once it is known.
      if (target === 'controller' && this.metadata.updatedAtMs === Number.NEGATIVE_INFINITY) await this.refreshMetadata();
      const connection = this.targetConnection(target);
      return await run(connection, { timeoutMs, signal: this.signalWith(signal) });
    } catch (error: unknown) {
      const eddyError = asEddyError(error);
      this.onError(eddyError);
      throw this.closed ? new ClientClosedError('the client') : eddyError;
    }
  }

  /**
   * Runs `attempt` until it succeeds, retrying retriable errors with backoff and jitter (and
   * refreshing the metadata after stale-metadata errors). Stops at once when the client closes.
   */
  retrying<T>(
    attempt: (attemptNumber: number) => Promise<T>,
    options: { readonly signal?: AbortSignal; readonly onRetry?: (error: EddyError) => void; readonly policy?: Partial<RetryOptions> } = {},
  ): Promise<T> {
    const signal = this.signalWith(options.signal);
    const deps: RetryDeps = options.signal === undefined ? this.retryDeps : { ...this.retryDeps, sleep: (ms) => sleep(ms, signal) };
    return withRetry(
      (attemptNumber) => {
        this.ensureOpen();
        if (signal.aborted) throw new ClientClosedError('the caller');
        return attempt(attemptNumber);
      },
      options.policy === undefined ? this.options.retry : { ...this.options.retry, ...options.policy },
      deps,
      (error) => {
        this.onError(error);
        options.onRetry?.(error);
      },
    );
  }

  /** The client's close signal, combined with the caller's. */
  signalWith(signal: AbortSignal | undefined): AbortSignal {
    return signal === undefined ? this.abort.signal : AbortSignal.any([this.abort.signal, signal]);
  }

  /** Reacts to an error seen anywhere: stale-metadata errors schedule a refresh. */
  onError(error: EddyError): void {
    if (isStaleMetadataError(error)) this.requestRefresh();
  }

  /** Adds topics the metadata should describe from now on. */
  addTopics(topics: Iterable<string>): void {
    for (const topic of topics) this.interest.add(topic);
  }

  /** Calls `listener` after each accepted metadata answer; returns the function that stops it. */
  onMetadata(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Refreshes now (joining a refresh already running, and running once more after it). */
  refreshMetadata(): Promise<void> {
    this.ensureOpen();
    if (this.refreshing !== undefined) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = this.runRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Asks for a refresh soon, at most one per `metadataRefreshBackoffMs`; never throws. */
  requestRefresh(): void {
    if (this.closed || this.refreshTimer !== undefined) return;
    if (this.refreshing !== undefined) {
      this.refreshAgain = true;
      return;
    }
    const waitMs = this.lastRefreshStartMs + this.options.metadataRefreshBackoffMs - this.nowMs();
    if (waitMs <= 0) {
      this.refreshMetadata().catch((error: unknown) => this.logRefreshFailure(error));
      return;
    }
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      if (!this.closed) this.refreshMetadata().catch((error: unknown) => this.logRefreshFailure(error));
    }, waitMs);
  }

  /**
   * The topic's metadata, refreshing until it appears or `timeoutMs` passes (then a retriable
   * UNKNOWN_TOPIC_OR_PARTITION naming the topic). A topic error that is not retriable (an invalid
   * name) fails at once.
   */
  async waitForTopic(topic: string, timeoutMs: number): Promise<TopicInfo> {
    const known = this.metadata.topics.get(topic);
    if (known !== undefined && this.interest.has(topic)) return known;
    this.interest.add(topic);
    const deadlineMs = this.nowMs() + timeoutMs;
    let lastError: EddyError | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.refreshMetadata();
        lastError = undefined;
      } catch (error: unknown) {
        lastError = asEddyError(error);
        if (!lastError.retriable || this.closed) throw lastError;
      }
      const info = this.metadata.topics.get(topic);
      if (info !== undefined && info.partitions.length > 0) return info;
      const topicError = this.metadata.topicErrors.get(topic);
      if (topicError !== undefined && topicError.code !== 'UNKNOWN_TOPIC_OR_PARTITION' && topicError.code !== 'LEADER_NOT_AVAILABLE') {
        const error = new TopicPartitionError(topicError.code, topicError.message, { topic });
        if (!isRetriableCode(topicError.code)) throw error;
      }
      const remainingMs = deadlineMs - this.nowMs();
      if (remainingMs <= 0) {
        throw new TopicPartitionError('UNKNOWN_TOPIC_OR_PARTITION', `not in the metadata after ${timeoutMs} ms${lastError === undefined ? '' : ` (${lastError.message})`}`, {
          topic,
          retriable: true,
          ...(lastError === undefined ? {} : { cause: lastError }),
        });
      }
      const backoff = Math.min(remainingMs, this.options.retry.initialBackoffMs * 2 ** Math.min(attempt - 1, 6), this.options.retry.backoffMaxMs);
      await sleep(backoff, this.abort.signal);
    }
  }

  /** The largest record batch `topic` accepts, as the last metadata said; undefined when not known. */
  maxMessageBytesOf(topic: string): number | undefined {
    const limit = this.metadata.topics.get(topic)?.maxMessageBytes;
    return limit === undefined || limit <= 0 ? undefined : limit;
  }

  /** The partition's leader, or undefined (and a refresh is requested) when none is known. */
  leaderFor(topic: string, partition: number): number | undefined {
    const leader = this.metadata.leaderOf(topic, partition);
    if (leader === undefined || !this.metadata.brokers.has(leader)) {
      this.requestRefresh();
      return undefined;
    }
    return leader;
  }

  /** Closes every channel and timer; calls in flight fail with CANCELLED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    clearInterval(this.maxAgeTimer);
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
    this.listeners.clear();
  }

  ensureOpen(): void {
    if (this.closed) throw new ClientClosedError('the client');
  }

  private targetConnection(target: CallTarget): Connection {
    if (target === 'any') return this.anyConnection();
    if (target === 'controller') {
      const controller = this.metadata.brokers.get(this.metadata.controllerId);
      return controller === undefined ? this.anyConnection() : this.connection(controller.address);
    }
    if (typeof target === 'number') return this.brokerConnection(target);
    return this.connection(target.address);
  }

  private async runRefresh(): Promise<void> {
    do {
      this.refreshAgain = false;
      await this.fetchMetadataOnce();
    } while (this.refreshAgain && !this.closed);
  }

  /** Asks the known brokers in turn, then the bootstrap servers, until one answers. */
  private async fetchMetadataOnce(): Promise<void> {
    this.lastRefreshStartMs = this.nowMs();
    const topics = [...this.interest];
    const known = [...this.metadata.brokers.values()].map((broker) => broker.address);
    const start = known.length === 0 ? 0 : this.options.prng.intBetween(0, known.length - 1);
    const candidates = [...new Set([...known.slice(start), ...known.slice(0, start), ...this.bootstrap])];
    let lastError: EddyError | undefined;
    for (const address of candidates) {
      this.ensureOpen();
      try {
        const response = await this.connection(address)
          .service('ClientService')
          .metadata({ topics, allTopics: false, allowAutoTopicCreation: this.options.allowAutoTopicCreation }, { timeoutMs: this.options.requestTimeoutMs, signal: this.abort.signal });
        if (this.metadata.apply(response, topics, this.nowMs())) {
          for (const listener of [...this.listeners]) listener();
        }
        return;
      } catch (error: unknown) {
        if (this.closed) throw new ClientClosedError('the client');
        lastError = asEddyError(error);
        this.options.logger.debug({ address, code: lastError.code }, `metadata from ${address} failed: ${lastError.message}`);
      }
    }
    throw lastError ?? new EddyError('BROKER_NOT_AVAILABLE', 'no broker to ask for metadata', { retriable: true });
  }

  private logRefreshFailure(error: unknown): void {
    if (this.closed) return;
    const eddyError = asEddyError(error);
    this.options.logger.warn({ code: eddyError.code }, `metadata refresh failed: ${eddyError.message}`);
  }
}

function isRetriableCode(code: string): boolean {
  return errorCodeByName(code)?.retriable ?? false;
}
