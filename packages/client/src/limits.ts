import { assert } from '@eddy/base';
import { messageBytesMax } from '@eddy/protocol';
import { recordBatchBytesMax } from '@eddy/record';

/**
 * Defaults and bounds of the client. Every queue, buffer and wait of the SDK is bounded by one
 * of these (or by the option that overrides it); their relations are asserted below.
 */
export const clientDefaults = {
  clientId: 'eddy-client',
  /** Deadline of one unary call or one stream request. */
  requestTimeoutMs: 30_000,
  /** Metadata older than this is refreshed even when nothing went wrong (Kafka's metadata.max.age.ms). */
  metadataMaxAgeMs: 300_000,
  /** Smallest gap between two metadata refreshes caused by errors (Kafka's retry.backoff.ms). */
  metadataRefreshBackoffMs: 100,

  // Producer.
  lingerMs: 5,
  batchSizeBytes: 64 * 1024,
  maxInFlight: 5,
  bufferMemoryBytes: 32 * 1024 * 1024,
  maxBlockMs: 60_000,
  deliveryTimeoutMs: 120_000,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 1_000,
  /** Bytes of batches in one ProduceRequest (many partitions' batches travel together). */
  produceRequestBytesMax: 16 * 1024 * 1024,

  // Consumer.
  maxPollRecords: 500,
  pollTimeoutMs: 1_000,
  fetchMaxWaitMs: 500,
  fetchMinBytes: 1,
  fetchMaxBytes: 50 * 1024 * 1024,
  maxPartitionFetchBytes: 1024 * 1024,
  /** Fetched but unconsumed bytes kept per partition; a partition at the bound is not fetched. */
  prefetchBytesPerPartition: 2 * 1024 * 1024,
  /** Fetch requests in flight per broker stream. */
  fetchesInFlightPerBroker: 4,
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 3_000,
  rebalanceTimeoutMs: 300_000,
  autoCommitIntervalMs: 5_000,
  /** How long commit() and committed() keep retrying, across coordinator failovers (Kafka's default.api.timeout.ms). */
  defaultApiTimeoutMs: 60_000,
  /** Grace given to a stream to end cleanly on close before it is cancelled. */
  streamCloseGraceMs: 2_000,
} as const;

/** Hard limits, whatever the options say. */
export const clientLimits = {
  /** Producer epochs are int16 in the batch header. */
  producerEpochMax: 0x7fff,
  /** Sequence numbers wrap from 2^31 - 1 to 0, as in Kafka. */
  sequenceMax: 0x7fff_ffff,
  /** Kafka's bound for idempotent producers: the broker caches the last five batches per producer and partition. */
  idempotentInFlightPerPartitionMax: 5,
  /** Bytes of batches in one produce request, and of one fetch response we ask for. */
  requestBytesMax: messageBytesMax - 1024 * 1024,
  /** The largest batch a producer builds. */
  batchBytesMax: recordBatchBytesMax,
  /**
   * How many times batchSize a partition's open batch may grow to while the next drain could
   * not send it anyway (the batches in flight and waiting ahead of it fill the partition's
   * slots): its records wait anyway, and one larger batch costs the brokers far less than many
   * small ones.
   */
  blockedBatchGrowthFactor: 16,
  /**
   * A grown batch stays within this: the brokers' default max.message.bytes (1 MiB + 12). A
   * topic with a lower max.message.bytes refuses a grown batch once (MESSAGE_TOO_LARGE); the
   * producer then stops growing that topic's batches.
   */
  blockedBatchBytesMax: 1024 * 1024,
  /** Calls kept by the fake broker for inspection (tests). */
  fakeCallLogMax: 10_000,
} as const;

assert(clientDefaults.batchSizeBytes <= clientDefaults.bufferMemoryBytes, 'one batch fits the producer buffer');
assert(clientDefaults.produceRequestBytesMax <= clientLimits.requestBytesMax, 'a produce request fits one gRPC message');
assert(clientDefaults.fetchMaxBytes <= clientLimits.requestBytesMax, 'a fetch response fits one gRPC message');
assert(clientDefaults.maxPartitionFetchBytes <= clientDefaults.prefetchBytesPerPartition, 'one fetch fits the prefetch bound');
assert(clientDefaults.heartbeatIntervalMs * 3 <= clientDefaults.sessionTimeoutMs, 'several heartbeats fit one session');
assert(clientDefaults.maxInFlight <= clientLimits.idempotentInFlightPerPartitionMax, 'the default keeps idempotence possible');
