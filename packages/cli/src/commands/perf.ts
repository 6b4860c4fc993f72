import { EddyError } from '@eddy/base';
import type { Acks, Consumer, Eddy } from '@eddy/client';
import type { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ClientFlags, clientCommand, integerFlag, print, withEddy } from '../client-options.js';
import { parseAcks } from '../console/produce-line.js';
import { cliLimits } from '../limits.js';
import { formatTotal, formatWindow, LatencyStats, type PerfSummary } from '../perf/latency-stats.js';
import { ThroughputThrottle } from '../perf/throughput-throttle.js';

interface PerfProduceFlags extends ClientFlags {
  readonly topic: string;
  readonly numRecords: string;
  readonly recordSize: string;
  readonly acks: string;
  readonly throughput: string;
  readonly reportingIntervalMs: string;
}

interface PerfConsumeFlags extends ClientFlags {
  readonly topic: string;
  readonly messages: string;
  readonly group?: string;
  readonly timeoutMs: string;
}

export interface PerfProduceSettings {
  readonly topic: string;
  readonly numRecords: number;
  readonly recordSize: number;
  readonly acks: Acks;
  /** Records per second, or -1 for as fast as the cluster takes them. */
  readonly throughput: number;
  readonly reportingIntervalMs: number;
}

export interface PerfConsumeSettings {
  readonly topic: string;
  readonly messages: number;
  readonly group: string | undefined;
  readonly timeoutMs: number;
}

export interface PerfConsumeSummary {
  readonly records: number;
  readonly bytes: number;
  readonly elapsedMs: number;
  readonly recordsPerSecond: number;
  readonly mbPerSecond: number;
}

export function registerPerfCommands(program: Command): void {
  const perf = program.command('perf').description('load-test a cluster with the SDK, as Kafka\'s perf-test tools do');
  clientCommand(perf.command('produce').description('send records as fast as allowed; report throughput and acknowledgement latency'), { json: true })
    .requiredOption('--topic <name>', 'the topic to write to (it must exist)')
    .requiredOption('--num-records <n>', 'how many records to send')
    .requiredOption('--record-size <bytes>', 'bytes of each record value')
    .option('--acks <acks>', 'all, 1 or 0', 'all')
    .option('--throughput <records/s>', 'cap the send rate; -1 for no cap', '-1')
    .option('--reporting-interval-ms <ms>', 'print a progress line this often (text output only)', '5000')
    .action(async (flags: PerfProduceFlags) => {
      const settings = perfProduceSettings(flags);
      const summary = await withEddy(flags, (eddy) => perfProduce(eddy, settings, flags.json === true ? () => undefined : print));
      print(flags.json === true ? JSON.stringify(summary) : formatTotal(summary));
    });
  clientCommand(perf.command('consume').description('read records as fast as possible; report throughput'), { json: true })
    .requiredOption('--topic <name>', 'the topic to read (from its beginning)')
    .requiredOption('--messages <n>', 'how many records to read')
    .option('--group <id>', 'read as a member of this consumer group (default: no group, every partition)')
    .option('--timeout-ms <ms>', 'fail when no record arrives for this long', '10000')
    .action(async (flags: PerfConsumeFlags) => {
      const settings = perfConsumeSettings(flags);
      const summary = await withEddy(flags, (eddy) => perfConsume(eddy, settings));
      print(flags.json === true ? JSON.stringify(summary) : formatConsumeSummary(summary));
    });
}

export function perfProduceSettings(flags: PerfProduceFlags): PerfProduceSettings {
  const throughput = integerFlag('--throughput', flags.throughput, -1);
  if (throughput === 0) throw new EddyError('INVALID_REQUEST', '--throughput must be -1 (no cap) or at least 1 record/s');
  return {
    topic: flags.topic,
    numRecords: integerFlag('--num-records', flags.numRecords, 1),
    recordSize: integerFlag('--record-size', flags.recordSize, 1),
    acks: parseAcks(flags.acks),
    throughput,
    reportingIntervalMs: integerFlag('--reporting-interval-ms', flags.reportingIntervalMs, 1),
  };
}

export function perfConsumeSettings(flags: PerfConsumeFlags): PerfConsumeSettings {
  if (flags.group === '') throw new EddyError('INVALID_REQUEST', '--group must not be empty');
  return {
    topic: flags.topic,
    messages: integerFlag('--messages', flags.messages, 1),
    group: flags.group,
    timeoutMs: integerFlag('--timeout-ms', flags.timeoutMs, 1),
  };
}

/** A value of `size` capital letters in a fixed scrambled pattern (Kafka's perf test sends random letters; a fixed one keeps runs comparable). */
function payload(size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) bytes[i] = 65 + ((i * 7919 + (i >> 3)) % 26);
  return bytes;
}

async function partitionCount(eddy: Eddy, topic: string): Promise<number> {
  const admin = eddy.admin();
  try {
    const [description] = await admin.describeTopics([topic]);
    return description?.partitions.length ?? 0;
  } finally {
    await admin.close();
  }
}

/**
 * Sends `numRecords` records of `recordSize` bytes, one `send()` each as Kafka's tool does, at
 * most `perfSendsInFlightMax` unsettled, paced to `throughput`. Each record's latency is the
 * time from its `send()` to its acknowledgement. The first failed send stops the run.
 */
export async function perfProduce(eddy: Eddy, settings: PerfProduceSettings, report: (line: string) => void): Promise<PerfSummary> {
  await partitionCount(eddy, settings.topic);
  const producer = eddy.producer({ acks: settings.acks });
  const value = payload(settings.recordSize);
  const startedMs = performance.now();
  const total = new LatencyStats(startedMs);
  const window = new LatencyStats(startedMs);
  const throttle = new ThroughputThrottle(settings.throughput, startedMs);
  const reporter = setInterval(() => {
    report(formatWindow(window.summary(performance.now())));
    window.reset(performance.now());
  }, settings.reportingIntervalMs);
  let inFlight = 0;
  let slotFreed: (() => void) | undefined;
  let failure: Error | undefined;
  const settled = (): void => {
    inFlight--;
    slotFreed?.();
  };
  try {
    for (let sent = 0; sent < settings.numRecords && failure === undefined; sent++) {
      const delayMs = throttle.delayMs(sent, performance.now());
      if (delayMs > 0) await sleep(delayMs);
      while (inFlight >= cliLimits.perfSendsInFlightMax) await new Promise<void>((resolve) => (slotFreed = resolve));
      const sentAtMs = performance.now();
      inFlight++;
      producer.send({ topic: settings.topic, messages: [{ value }] }).then(
        () => {
          const latencyMs = performance.now() - sentAtMs;
          total.record(latencyMs, value.length);
          window.record(latencyMs, value.length);
          settled();
        },
        (error: unknown) => {
          failure ??= error instanceof Error ? error : new EddyError('UNKNOWN_SERVER_ERROR', String(error));
          settled();
        },
      );
    }
    await producer.flush();
    while (inFlight > 0) await new Promise<void>((resolve) => (slotFreed = resolve));
    if (failure !== undefined) throw failure;
    return total.summary(performance.now());
  } finally {
    clearInterval(reporter);
    total.close();
    window.close();
    await producer.close();
  }
}

/**
 * Reads `messages` records of the topic from its beginning (as a group member, or from every
 * partition without a group), timing from the first poll to the last record needed.
 */
export async function perfConsume(eddy: Eddy, settings: PerfConsumeSettings): Promise<PerfConsumeSummary> {
  const partitions = await partitionCount(eddy, settings.topic);
  const consumer: Consumer = eddy.consumer(settings.group === undefined ? { fromBeginning: true } : { groupId: settings.group, fromBeginning: true });
  try {
    if (settings.group === undefined) await consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic: settings.topic, partition })));
    else await consumer.subscribe([settings.topic]);
    const startedMs = performance.now();
    let lastRecordMs = startedMs;
    let records = 0;
    let bytes = 0;
    while (records < settings.messages) {
      const polled = await consumer.poll({ maxRecords: cliLimits.consumeRecordsPerPollMax, timeoutMs: cliLimits.consumePollWaitMsMax });
      const nowMs = performance.now();
      if (polled.length > 0) lastRecordMs = nowMs;
      else if (nowMs - lastRecordMs >= settings.timeoutMs) {
        throw new EddyError('REQUEST_TIMED_OUT', `only ${records} of ${settings.messages} records arrived; none for ${settings.timeoutMs} ms`);
      }
      for (const record of polled.slice(0, settings.messages - records)) bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
      records = Math.min(settings.messages, records + polled.length);
    }
    const elapsedMs = Math.max(1, lastRecordMs - startedMs);
    return { records, bytes, elapsedMs, recordsPerSecond: (records * 1000) / elapsedMs, mbPerSecond: (bytes * 1000) / elapsedMs / (1024 * 1024) };
  } finally {
    await consumer.close();
  }
}

export function formatConsumeSummary(summary: PerfConsumeSummary): string {
  return `${summary.records} records consumed in ${(summary.elapsedMs / 1000).toFixed(2)} s, ${summary.recordsPerSecond.toFixed(1)} records/sec (${summary.mbPerSecond.toFixed(2)} MB/sec).`;
}
