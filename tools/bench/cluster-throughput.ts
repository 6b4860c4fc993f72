/**
 * Cluster throughput and latency: three real `eddy server` processes on free loopback ports (the
 * built binary, as the e2e tests run it), one SDK producer and one SDK consumer in this process.
 *
 *   - produce throughput (records/s, MB/s of record values, client CPU per record) of 100-byte
 *     and 1 KiB records, for RF 1 with acks=1 and for RF 3 with acks=all (min.insync.replicas=2),
 *     3 partitions each (every broker leads one), with the producer's defaults and with 1 MiB
 *     batches; rounds of fixed duration, the median reported;
 *   - consume throughput of the same topics with one consumer (all partitions, from the start),
 *     measured from its first record; median of rounds, each a fresh consumer;
 *   - end-to-end latency (send() called → record returned by poll(), same process clock) at a
 *     fixed rate, lingerMs 0, into an HDR histogram: p50 / p99 / p999 / max, for both setups with
 *     the round-robin (default) and the sticky partitioner;
 *   - the largest broker RSS seen during each phase (sampled every 200 ms from /proc), and the
 *     CPU time the three brokers used per record (from /proc: a figure that other load on the
 *     machine disturbs far less than the wall-clock rates).
 *
 *   npx tsc -b && npx tsx tools/bench/cluster-throughput.ts [--json] [--rate 5000] [--latency-seconds 5] [--latency-only]
 *
 * Everything is bounded: each produce/consume phase takes about ROUNDS × ROUND_MS, the latency
 * phase warm-up + its duration, the whole run about a minute and a half. The brokers run with
 * their default settings and `--log-level warn`.
 */
import { Eddy, type Producer, type ProducerOptions } from '@eddy/client';
import { build } from 'hdr-histogram-js';
import { ProcessCluster } from '../../e2e/support/eddy-cluster.js';
import { waitFor } from '../../e2e/support/wait.js';
import { cpuMicros, formatBytes, formatNumber, formatTable, median, RssSampler, rssBytes } from './lib/index.js';

const KiB = 1024;
const PARTITIONS = 3;
const ROUNDS = 3;
const ROUND_MS = 1_500;
const WARMUP_MS = 1_000;
/** Bytes of records per send() call, and send() calls in flight (the producer's 32 MiB buffer is the real bound). */
const SEND_BYTES = 64 * KiB;
const SENDS_IN_FLIGHT_MAX = 256;
const CONSUME_POLL_RECORDS = 10_000;
const RECORD_SIZES = [100, KiB] as const;

interface Setup {
  readonly name: string;
  readonly replicationFactor: number;
  readonly acks: 'all' | 1;
}

const setups: readonly Setup[] = [
  { name: 'RF1 acks=1', replicationFactor: 1, acks: 1 },
  { name: 'RF3 acks=all', replicationFactor: 3, acks: 'all' },
];

/** Producer settings measured: the SDK's defaults (64 KiB batches, 5 ms linger), and larger batches. */
interface ProducerVariant {
  readonly name: string;
  readonly options: ProducerOptions;
}

const producerVariants: readonly ProducerVariant[] = [
  { name: 'defaults', options: {} },
  { name: 'batchSize 1 MiB', options: { batchSize: 1024 * KiB } },
];

/** Unkeyed records in the latency phase: the default round-robin, or sticky (a tick's records share a batch). */
const latencyPartitioners = ['round-robin', 'sticky'] as const;

interface ThroughputRow {
  readonly phase: 'produce' | 'consume';
  readonly setup: string;
  /** The producer variant (produce rows); '-' for consume rows. */
  readonly producer: string;
  readonly recordBytes: number;
  readonly recordsPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly clientCpuMicrosPerRecord: number;
  readonly roundsRecordsPerSecond: readonly number[];
  readonly brokerRssMaxBytes: number;
  /** CPU time of all brokers over the phase's rounds, per record. */
  readonly brokerCpuMicrosPerRecord: number;
}

interface LatencyResult {
  readonly setup: string;
  readonly partitioner: (typeof latencyPartitioners)[number];
  readonly ratePerSecond: number;
  readonly seconds: number;
  readonly sent: number;
  readonly received: number;
  /** Records sent, warm-up included. */
  readonly sentTotal: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly brokerRssMaxBytes: number;
  /** CPU time of all brokers over the phase (warm-up included), per record sent. */
  readonly brokerCpuMicrosPerRecord: number;
}

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

interface Round {
  readonly records: number;
  readonly elapsedMs: number;
  readonly cpuMicros: number;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(typeof error === 'string' ? error : 'a send failed with a non-Error value');
}

function cpuMicrosSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

/** Sends `value` records to `topic` for `durationMs` as fast as the producer takes them; resolves once all are acknowledged. */
async function produceFor(producer: Producer, topic: string, value: Buffer, durationMs: number): Promise<Round> {
  const messages = Array.from({ length: Math.max(1, Math.floor(SEND_BYTES / value.length)) }, () => ({ value }));
  const pending = new Set<Promise<void>>();
  let acked = 0;
  let failure: Error | undefined;
  const cpu = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < durationMs && failure === undefined) {
    const sent: Promise<void> = producer.send({ topic, messages }).then(
      () => {
        acked += messages.length;
        pending.delete(sent);
      },
      (error: unknown) => {
        failure ??= asError(error);
        pending.delete(sent);
      },
    );
    pending.add(sent);
    if (pending.size >= SENDS_IN_FLIGHT_MAX) await Promise.race(pending);
  }
  await Promise.all(pending);
  if (failure !== undefined) throw failure;
  return { records: acked, elapsedMs: performance.now() - started, cpuMicros: cpuMicrosSince(cpu) };
}

/** Reads `topic` from the start with a fresh consumer for up to `durationMs` after its first record. */
async function consumeFor(eddy: Eddy, topic: string, durationMs: number): Promise<Round> {
  const consumer = eddy.consumer({ fromBeginning: true, maxPollRecords: CONSUME_POLL_RECORDS });
  const partitions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }));
  await consumer.assign(partitions);
  const total = (await consumer.endOffsets(partitions)).reduce((sum, end) => sum + Number(end.offset), 0);
  let records = 0;
  let started = 0;
  let cpu = process.cpuUsage();
  const deadline = performance.now() + durationMs + 10_000;
  while (records < total && performance.now() < deadline) {
    const batch = await consumer.poll({ maxRecords: CONSUME_POLL_RECORDS, timeoutMs: 500 });
    if (batch.length === 0) continue;
    if (records === 0) {
      started = performance.now();
      cpu = process.cpuUsage();
    }
    records += batch.length;
    if (performance.now() - started >= durationMs) break;
  }
  const elapsedMs = performance.now() - started;
  const cpuMicros = cpuMicrosSince(cpu);
  await consumer.close();
  return { records, elapsedMs, cpuMicros };
}

function perRecord(micros: number, records: number): number {
  return micros / Math.max(1, records);
}

function throughputRow(
  phase: ThroughputRow['phase'],
  setup: Setup,
  producer: string,
  recordBytes: number,
  rounds: readonly Round[],
  rssMaxBytes: number,
  brokerCpuMicros: number,
): ThroughputRow {
  const rates = rounds.map((round) => (round.records / round.elapsedMs) * 1000);
  const recordsPerSecond = median(rates);
  return {
    phase,
    setup: setup.name,
    producer,
    recordBytes,
    recordsPerSecond,
    megabytesPerSecond: (recordsPerSecond * recordBytes) / 1e6,
    clientCpuMicrosPerRecord: median(rounds.map((round) => round.cpuMicros / Math.max(1, round.records))),
    roundsRecordsPerSecond: rates,
    brokerRssMaxBytes: rssMaxBytes,
    brokerCpuMicrosPerRecord: perRecord(brokerCpuMicros, rounds.reduce((sum, round) => sum + round.records, 0)),
  };
}

/**
 * Sends 100-byte records at `ratePerSecond` (one send() per record, paced on a 1 ms timer) and
 * reads them back with a consumer positioned at the end; records the time from send() to poll()
 * returning it, after a warm-up.
 */
async function measureLatency(
  eddy: Eddy,
  setup: Setup,
  partitioner: LatencyResult['partitioner'],
  topic: string,
  ratePerSecond: number,
  seconds: number,
): Promise<Omit<LatencyResult, 'brokerRssMaxBytes' | 'brokerCpuMicrosPerRecord'>> {
  const partitions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }));
  const consumer = eddy.consumer({ autoOffsetReset: 'latest', fetchMaxWaitMs: 500 });
  await consumer.assign(partitions);
  for (const tp of partitions) await consumer.position(tp);
  const producer = eddy.producer({ acks: setup.acks, lingerMs: 0, partitioner });
  const histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const measureFrom = performance.now() + WARMUP_MS;
  const endAt = measureFrom + seconds * 1000;
  let sent = 0;
  let sentMeasured = 0;
  let received = 0;
  let producing = true;

  const reading = (async () => {
    const drainDeadline = (): number => endAt + 5_000;
    while (producing || (received < sentMeasured && performance.now() < drainDeadline())) {
      const records = await consumer.poll({ maxRecords: 10_000, timeoutMs: 100 });
      const now = performance.now();
      for (const record of records) {
        const sentAt = record.value?.readDoubleLE(0) ?? 0;
        if (sentAt < measureFrom) continue;
        received++;
        histogram.recordValue(Math.max(1, Math.round((now - sentAt) * 1000)));
      }
    }
  })();

  const failures: Error[] = [];
  const started = performance.now();
  while (performance.now() < endAt) {
    const due = Math.floor(((performance.now() - started) * ratePerSecond) / 1000);
    while (sent < due) {
      const value = Buffer.alloc(100);
      const now = performance.now();
      value.writeDoubleLE(now, 0);
      if (now >= measureFrom) sentMeasured++;
      producer.send({ topic, messages: [{ value }] }).catch((error: unknown) => failures.push(asError(error)));
      sent++;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await producer.flush();
  producing = false;
  await reading;
  await producer.close();
  await consumer.close();
  const [failure] = failures;
  if (failure !== undefined) throw failure;
  const ms = (micros: number): number => micros / 1000;
  return {
    setup: setup.name,
    partitioner,
    ratePerSecond,
    seconds,
    sent: sentMeasured,
    received,
    sentTotal: sent,
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    p999Ms: ms(histogram.getValueAtPercentile(99.9)),
    maxMs: ms(histogram.maxValue),
  };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const latencyRate = argument('--rate', 5_000);
  const latencySeconds = argument('--latency-seconds', 5);
  const latencyOnly = process.argv.includes('--latency-only');
  const log = (line: string): void => {
    if (!json) process.stderr.write(`${line}\n`);
  };

  const cluster = await ProcessCluster.start({ nodes: 3 });
  const brokerPids = (): number[] => cluster.nodes.map((node) => node.pid).filter((pid): pid is number => pid !== undefined);
  const sampler = new RssSampler(brokerPids);
  const brokerCpuMicros = (): number => brokerPids().reduce((sum, pid) => sum + (cpuMicros(pid) ?? 0), 0);
  const eddy = new Eddy({ bootstrapServers: cluster.bootstrapServers, clientId: 'cluster-throughput-bench' });
  try {
    const admin = eddy.admin();
    await waitFor(
      'a controller and three running brokers',
      async () => {
        const described = await admin.describeCluster().catch(() => undefined);
        return described !== undefined && described.controller > 0 && described.brokers.filter((b) => !b.isFenced).length === 3 ? true : undefined;
      },
      60_000,
      100,
    );
    sampler.start();
    const idleRssBytes = sampler.maxBytes;
    const topicOf = (setup: Setup, size: number): string => `bench-rf${setup.replicationFactor}-${size}`;
    const latencyTopicOf = (setup: Setup): string => `bench-latency-rf${setup.replicationFactor}`;
    await admin.createTopics([
      ...setups.flatMap((setup) =>
        RECORD_SIZES.map((size) => ({ topic: topicOf(setup, size), partitions: PARTITIONS, replicationFactor: setup.replicationFactor, configs: { 'min.insync.replicas': setup.replicationFactor > 1 ? '2' : '1' } })),
      ),
      ...setups.map((setup) => ({ topic: latencyTopicOf(setup), partitions: PARTITIONS, replicationFactor: setup.replicationFactor, configs: { 'min.insync.replicas': setup.replicationFactor > 1 ? '2' : '1' } })),
    ]);
    await waitFor('every partition online with a full ISR', async () => {
      const described = await admin.describeTopics();
      return described.filter((t) => t.topic.startsWith('bench-')).every((t) => t.partitions.every((p) => p.leader > 0 && p.isr.length === p.replicas.length)) ? true : undefined;
    }, 30_000);

    const rows: ThroughputRow[] = [];
    for (const setup of latencyOnly ? [] : setups) {
      for (const size of RECORD_SIZES) {
        const topic = topicOf(setup, size);
        const value = Buffer.alloc(size, 0x61);
        for (const variant of producerVariants) {
          const producer = eddy.producer({ acks: setup.acks, ...variant.options });
          await produceFor(producer, topic, value, WARMUP_MS);
          sampler.reset();
          const cpuBefore = brokerCpuMicros();
          const rounds: Round[] = [];
          for (let round = 0; round < ROUNDS; round++) rounds.push(await produceFor(producer, topic, value, ROUND_MS));
          const cpuUsed = brokerCpuMicros() - cpuBefore;
          await producer.close();
          const produced = throughputRow('produce', setup, variant.name, size, rounds, sampler.maxBytes, cpuUsed);
          rows.push(produced);
          log(`produce ${setup.name} ${size} B (${variant.name}): ${formatNumber(produced.recordsPerSecond)} records/s`);
        }

        sampler.reset();
        const cpuBefore = brokerCpuMicros();
        const consumeRounds: Round[] = [];
        for (let round = 0; round < ROUNDS; round++) consumeRounds.push(await consumeFor(eddy, topic, ROUND_MS));
        const consumed = throughputRow('consume', setup, '-', size, consumeRounds, sampler.maxBytes, brokerCpuMicros() - cpuBefore);
        rows.push(consumed);
        log(`consume ${setup.name} ${size} B: ${formatNumber(consumed.recordsPerSecond)} records/s`);
      }
    }

    const latencies: LatencyResult[] = [];
    for (const setup of setups) {
      for (const partitioner of latencyPartitioners) {
        sampler.reset();
        const cpuBefore = brokerCpuMicros();
        const measured = await measureLatency(eddy, setup, partitioner, latencyTopicOf(setup), latencyRate, latencySeconds);
        latencies.push({ ...measured, brokerRssMaxBytes: sampler.maxBytes, brokerCpuMicrosPerRecord: perRecord(brokerCpuMicros() - cpuBefore, measured.sentTotal) });
        log(`latency ${setup.name} ${partitioner}: p50 ${measured.p50Ms.toFixed(2)} ms, p99 ${measured.p99Ms.toFixed(2)} ms`);
      }
    }
    const finalRssBytes = Math.max(0, ...cluster.nodes.map((node) => (node.pid === undefined ? 0 : (rssBytes(node.pid) ?? 0))));
    await admin.close();

    if (json) {
      process.stdout.write(`${JSON.stringify({ throughput: rows, latency: latencies, brokerRss: { idleMaxBytes: idleRssBytes, endMaxBytes: finalRssBytes } }, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `${formatTable(
        ['phase', 'setup', 'producer', 'record', 'records/s', 'MB/s', 'client CPU µs/rec', 'brokers CPU µs/rec', 'broker RSS max', 'rounds (records/s)'],
        rows.map((row) => [
          row.phase,
          row.setup,
          row.producer,
          formatBytes(row.recordBytes),
          formatNumber(row.recordsPerSecond),
          formatNumber(row.megabytesPerSecond, 1),
          formatNumber(row.clientCpuMicrosPerRecord, 2),
          formatNumber(row.brokerCpuMicrosPerRecord, 2),
          formatBytes(row.brokerRssMaxBytes),
          row.roundsRecordsPerSecond.map((rate) => formatNumber(rate)).join(' / '),
        ]),
      )}\n\n`,
    );
    process.stdout.write(
      `${formatTable(
        [`end-to-end latency, 100 B, lingerMs 0, ${latencySeconds} s after ${WARMUP_MS / 1000} s warm-up`, 'partitioner', 'rate', 'p50', 'p99', 'p999', 'max', 'received/sent', 'brokers CPU µs/rec', 'broker RSS max'],
        latencies.map((latency) => [
          latency.setup,
          latency.partitioner,
          `${formatNumber(latency.ratePerSecond)}/s`,
          `${latency.p50Ms.toFixed(2)} ms`,
          `${latency.p99Ms.toFixed(2)} ms`,
          `${latency.p999Ms.toFixed(2)} ms`,
          `${latency.maxMs.toFixed(2)} ms`,
          `${latency.received}/${latency.sent}`,
          formatNumber(latency.brokerCpuMicrosPerRecord, 1),
          formatBytes(latency.brokerRssMaxBytes),
        ]),
      )}\n\nbroker RSS (largest of the three): ${formatBytes(idleRssBytes)} idle before the run, ${formatBytes(finalRssBytes)} at the end\n`,
    );
  } finally {
    sampler.stop();
    await eddy.close();
    await cluster.close();
  }
}

await main();
