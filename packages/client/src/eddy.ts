import { randomInt } from 'node:crypto';
import { type Clock, type Logger, Prng, silentLogger, systemClock } from '@eddy/base';
import { loadProtocol, type Protocol } from '@eddy/protocol';
import type * as grpc from '@grpc/grpc-js';
import { type Admin, AdminClient } from './admin/admin.js';
import { Cluster } from './cluster/cluster.js';
import { GroupCoordinators } from './cluster/group-coordinators.js';
import { type Consumer, ConsumerClient, type ConsumerOptions } from './consumer/consumer.js';
import { ClientClosedError, InvalidConfigError } from './errors.js';
import { clientDefaults } from './limits.js';
import { type Producer, ProducerClient, type ProducerOptions } from './producer/producer.js';
import { defaultRetryOptions, type RetryOptions } from './retry.js';

/** Options of an Eddy client. */
export interface EddyOptions {
  /** Brokers to bootstrap from, `host:port` each (a comma-separated string works too); any one that answers is enough. */
  readonly bootstrapServers: readonly string[] | string;
  /** Names this client to brokers (logs, group member lists). Default 'eddy-client'. */
  readonly clientId?: string;
  /** Deadline of every call. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Retries of retriable errors: attempts, backoff bounds (exponential with jitter) and an overall deadline. */
  readonly retry?: Partial<RetryOptions>;
  /** Metadata older than this is refreshed. Default 5 min. */
  readonly metadataMaxAgeMs?: number;
  /** Let Metadata create missing topics when the brokers allow it. Default false. */
  readonly allowAutoTopicCreation?: boolean;
  /** Default: silent. Pass a pino logger (or anything with its shape). */
  readonly logger?: Logger;
  /** Injected time (tests and simulations). Default: the system clock. */
  readonly clock?: Clock;
  /** Injected randomness (backoff jitter, sticky partitions). Default: seeded at random. */
  readonly prng?: Prng;
  /** Where proto/eddy/v1 lives, when it cannot be found next to the package (see @eddy/protocol). */
  readonly protoDir?: string;
  /** TLS and the like; plain HTTP/2 by default. */
  readonly credentials?: grpc.ChannelCredentials;
}

/**
 * The entry point of the SDK: one client per application and cluster. It owns the connections
 * (one gRPC channel per broker, opened on first use) and the metadata cache, shared by the
 * producers, consumers and admins it creates.
 *
 * ```ts
 * const eddy = new Eddy({ bootstrapServers: ['127.0.0.1:9092'], clientId: 'app' });
 * const producer = eddy.producer({ acks: 'all' });
 * await producer.send({ topic: 'orders', messages: [{ key: 'k1', value: 'v' }] });
 * await producer.close();
 * await eddy.close();
 * ```
 */
export class Eddy {
  /** The client id sent to brokers. */
  readonly clientId: string;
  private readonly cluster: Cluster;
  private readonly coordinators: GroupCoordinators;
  private readonly prng: Prng;
  private readonly producers = new Set<ProducerClient>();
  private readonly consumers = new Set<ConsumerClient>();
  private readonly admins = new Set<AdminClient>();
  private closePromise: Promise<void> | undefined;

  constructor(options: EddyOptions) {
    const servers = typeof options.bootstrapServers === 'string' ? options.bootstrapServers.split(',') : options.bootstrapServers;
    const bootstrapServers = servers.map((server) => server.trim()).filter((server) => server !== '');
    const requestTimeoutMs = options.requestTimeoutMs ?? clientDefaults.requestTimeoutMs;
    if (!Number.isSafeInteger(requestTimeoutMs) || requestTimeoutMs < 1) throw new InvalidConfigError(`requestTimeoutMs must be a positive integer, got ${requestTimeoutMs}`);
    const retry: RetryOptions = { ...defaultRetryOptions, deadlineMs: Math.max(defaultRetryOptions.deadlineMs, requestTimeoutMs), ...options.retry };
    if (retry.attemptsMax < 1 || retry.initialBackoffMs < 0 || retry.backoffMaxMs < retry.initialBackoffMs) throw new InvalidConfigError('retry options are inconsistent');
    let protocol: Protocol;
    try {
      protocol = loadProtocol(options.protoDir === undefined ? {} : { protoDir: options.protoDir });
    } catch (error: unknown) {
      throw new InvalidConfigError(error instanceof Error ? error.message : String(error));
    }
    this.clientId = options.clientId ?? clientDefaults.clientId;
    this.prng = options.prng ?? new Prng(randomInt(0, 2 ** 31));
    this.cluster = new Cluster({
      bootstrapServers,
      clientId: this.clientId,
      requestTimeoutMs,
      metadataMaxAgeMs: options.metadataMaxAgeMs ?? clientDefaults.metadataMaxAgeMs,
      metadataRefreshBackoffMs: clientDefaults.metadataRefreshBackoffMs,
      allowAutoTopicCreation: options.allowAutoTopicCreation ?? false,
      retry,
      protocol,
      logger: (options.logger ?? silentLogger).child({ component: 'eddy-client', clientId: this.clientId }),
      clock: options.clock ?? systemClock,
      prng: this.prng.fork(),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    });
    this.coordinators = new GroupCoordinators(this.cluster);
  }

  /** An admin client for topics, configs, groups, reassignments and the quorum. */
  admin(): Admin {
    this.ensureOpen();
    const admin = new AdminClient(this.cluster, this.coordinators, (closed) => this.admins.delete(closed));
    this.admins.add(admin);
    return admin;
  }

  /** A producer (idempotent with acks 'all', the default). */
  producer(options: ProducerOptions = {}): Producer {
    this.ensureOpen();
    const producer = new ProducerClient(this.cluster, options, this.prng.fork(), (closed) => this.producers.delete(closed));
    this.producers.add(producer);
    return producer;
  }

  /** A consumer: give it a groupId to subscribe() in a group, or assign() partitions yourself. */
  consumer(options: ConsumerOptions = {}): Consumer {
    this.ensureOpen();
    const consumer = new ConsumerClient(this.cluster, this.coordinators, options, this.prng.fork(), (closed) => this.consumers.delete(closed));
    this.consumers.add(consumer);
    return consumer;
  }

  /**
   * Closes what is still open — consumers (commit, leave), producers (flush), admins — then every
   * channel and timer. Nothing of the client keeps the process alive afterwards.
   */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      await Promise.allSettled([...this.consumers].map((consumer) => consumer.close()));
      await Promise.allSettled([...this.producers].map((producer) => producer.close()));
      await Promise.allSettled([...this.admins].map((admin) => admin.close()));
      this.cluster.close();
    })();
    return this.closePromise;
  }

  private ensureOpen(): void {
    if (this.closePromise !== undefined) throw new ClientClosedError('the client');
  }
}
