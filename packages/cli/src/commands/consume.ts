import { EddyError } from '@eddy/base';
import { ClientClosedError, type Consumer, type ConsumerOptions, type ConsumerRecord, type Eddy } from '@eddy/client';
import type { Command } from 'commander';
import type { Writable } from 'node:stream';
import { type ClientFlags, clientCommand, integerFlag, keyValueFlags, withEddy } from '../client-options.js';
import { clientOptionsFromConsumerProperties, type ConsumerClientOptions, consumerOptionsFromProperties } from '../console/consumer-properties.js';
import { formatRecord, type RecordFormatOptions } from '../console/record-format.js';
import { cliLimits } from '../limits.js';

interface ConsumeFlags extends ClientFlags {
  readonly topic: string;
  readonly group?: string;
  readonly fromBeginning?: boolean;
  readonly partition?: string;
  readonly offset?: string;
  readonly maxMessages?: string;
  readonly timeoutMs?: string;
  readonly printKey?: boolean;
  readonly consumerProperty?: readonly string[];
}

/** Where a manually assigned consumer starts: the reset policy, or an explicit place in one partition. */
export type StartOffset = 'earliest' | 'latest' | bigint;

export interface ConsumeSettings {
  readonly topic: string;
  /** Group mode (subscribe) when set; manual assignment otherwise. */
  readonly groupId: string | undefined;
  /** Manual mode: only this partition. */
  readonly partition: number | undefined;
  /** Manual mode with a partition: where to start in it. */
  readonly offset: StartOffset | undefined;
  readonly maxMessages: number | undefined;
  /** Exit once no record has arrived for this long. */
  readonly idleTimeoutMs: number | undefined;
  readonly format: RecordFormatOptions;
  readonly consumerOptions: ConsumerOptions;
  /** Client-level consumer properties (metadata.max.age.ms). */
  readonly clientOptions: ConsumerClientOptions;
}

export function registerConsumeCommand(program: Command): void {
  clientCommand(program.command('consume').description('print the records of a topic on stdout, one per line'))
    .requiredOption('--topic <name>', 'the topic to read')
    .option('--group <id>', 'read as a member of this consumer group (partitions shared, offsets committed)')
    .option('--from-beginning', 'start at the earliest record when there is no committed offset (default: only new records)')
    .option('--partition <n>', 'read only this partition (not with --group)')
    .option('--offset <offset>', 'with --partition: start at this offset, or earliest, or latest')
    .option('--max-messages <n>', 'exit after printing this many records')
    .option('--timeout-ms <ms>', 'exit once no record has arrived for this long')
    .option('--print-key', 'print key<TAB>value (a null key or value prints as null)')
    .option('--consumer-property <key=value...>', 'Kafka consumer properties, e.g. max.poll.records=100 auto.offset.reset=earliest')
    .action(async (flags: ConsumeFlags) => {
      const settings = consumeSettings(flags);
      const consumed = await withEddy(flags, (eddy) => consumeToStdout(eddy, settings, process.stdout), settings.clientOptions);
      process.stderr.write(`Processed a total of ${consumed} messages\n`);
    });
}

export function consumeSettings(flags: ConsumeFlags): ConsumeSettings {
  const propertyPairs = keyValueFlags('--consumer-property', flags.consumerProperty);
  const properties = consumerOptionsFromProperties(propertyPairs);
  if (flags.group !== undefined && properties.groupId !== undefined && properties.groupId !== flags.group) {
    throw new EddyError('INVALID_REQUEST', `--group ${flags.group} and --consumer-property group.id=${properties.groupId} disagree`);
  }
  const groupId = flags.group ?? properties.groupId;
  if (groupId === '') throw new EddyError('INVALID_REQUEST', '--group must not be empty');
  if (groupId !== undefined && (flags.partition !== undefined || flags.offset !== undefined)) {
    throw new EddyError('INVALID_REQUEST', '--partition and --offset cannot be used with --group (the group assigns partitions and keeps offsets)');
  }
  if (flags.offset !== undefined && flags.partition === undefined) throw new EddyError('INVALID_REQUEST', '--offset needs --partition');
  if (flags.offset !== undefined && flags.fromBeginning === true) throw new EddyError('INVALID_REQUEST', '--offset and --from-beginning cannot be used together');
  const consumerOptions: ConsumerOptions = {
    ...(flags.fromBeginning === true ? { autoOffsetReset: 'earliest' as const } : {}),
    ...properties,
    ...(groupId === undefined ? {} : { groupId }),
  };
  return {
    topic: flags.topic,
    groupId,
    partition: flags.partition === undefined ? undefined : integerFlag('--partition', flags.partition, 0),
    offset: flags.offset === undefined ? undefined : parseStartOffset(flags.offset),
    maxMessages: flags.maxMessages === undefined ? undefined : integerFlag('--max-messages', flags.maxMessages, 1),
    idleTimeoutMs: flags.timeoutMs === undefined ? undefined : integerFlag('--timeout-ms', flags.timeoutMs, 1),
    format: { printKey: flags.printKey === true, keySeparator: '\t' },
    consumerOptions,
    clientOptions: clientOptionsFromConsumerProperties(propertyPairs),
  };
}

/** `--offset`: a non-negative offset, `earliest` or `latest`. */
export function parseStartOffset(value: string): StartOffset {
  if (value === 'earliest' || value === 'latest') return value;
  if (!/^\d+$/.test(value)) throw new EddyError('INVALID_REQUEST', `--offset must be a non-negative offset, earliest or latest, got ${JSON.stringify(value)}`);
  return BigInt(value);
}

/**
 * Prints the topic's records to `out` until `maxMessages` were printed, no record arrived for
 * `idleTimeoutMs`, the output was closed (a pipe into `head`), or SIGINT/SIGTERM; then closes the
 * consumer cleanly (in a group: commits what was printed and leaves). Returns how many records
 * were printed.
 */
export async function consumeToStdout(eddy: Eddy, settings: ConsumeSettings, out: Writable): Promise<number> {
  const partitions = await topicPartitions(eddy, settings);
  const consumer = eddy.consumer(settings.consumerOptions);
  let stopping = false;
  let outputClosed = false;
  const stop = (): void => {
    stopping = true;
    // Wakes a pending poll; the loop below sees `stopping` and ends.
    void consumer.close().catch(() => undefined);
  };
  const onOutputError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE') outputClosed = true;
    stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  out.on('error', onOutputError);
  let printed = 0;
  // --consumer-property max.poll.records bounds each poll (and so each write to stdout) too.
  const pollRecordsMax = Math.min(settings.consumerOptions.maxPollRecords ?? cliLimits.consumeRecordsPerPollMax, cliLimits.consumeRecordsPerPollMax);
  try {
    await start(consumer, settings, partitions);
    let lastRecordMs = Date.now();
    while (!stopping && !outputClosed) {
      const remaining = settings.maxMessages === undefined ? pollRecordsMax : Math.min(settings.maxMessages - printed, pollRecordsMax);
      let waitMs: number = cliLimits.consumePollWaitMsMax;
      if (settings.idleTimeoutMs !== undefined) {
        const idleLeftMs = lastRecordMs + settings.idleTimeoutMs - Date.now();
        if (idleLeftMs <= 0) break;
        waitMs = Math.min(waitMs, idleLeftMs);
      }
      let records: ConsumerRecord[];
      try {
        records = await consumer.poll({ maxRecords: remaining, timeoutMs: waitMs });
      } catch (error: unknown) {
        if (stopping && error instanceof ClientClosedError) break;
        throw error;
      }
      if (records.length === 0) continue;
      lastRecordMs = Date.now();
      const chunks: Buffer[] = [];
      for (const record of records) formatRecord(record, settings.format, chunks);
      printed += records.length;
      if (!out.write(Buffer.concat(chunks))) await drained(out, () => stopping || outputClosed);
      if (settings.maxMessages !== undefined && printed >= settings.maxMessages) break;
    }
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    // In a group this commits the positions of the printed records and leaves the group.
    await consumer.close();
    out.removeListener('error', onOutputError);
  }
  return printed;
}

/** The partitions to read (every one of the topic, or the one asked for); unknown ones are typed errors. */
async function topicPartitions(eddy: Eddy, settings: ConsumeSettings): Promise<number[]> {
  const admin = eddy.admin();
  try {
    const [description] = await admin.describeTopics([settings.topic]);
    const all = (description?.partitions ?? []).map((p) => p.partition);
    if (settings.partition === undefined) return all;
    if (!all.includes(settings.partition)) {
      throw new EddyError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${settings.topic} has ${all.length} partitions; there is no partition ${settings.partition}`);
    }
    return [settings.partition];
  } finally {
    await admin.close();
  }
}

async function start(consumer: Consumer, settings: ConsumeSettings, partitions: readonly number[]): Promise<void> {
  if (settings.groupId !== undefined) {
    await consumer.subscribe([settings.topic]);
    return;
  }
  const assigned = partitions.map((partition) => ({ topic: settings.topic, partition }));
  await consumer.assign(assigned);
  const offset = settings.offset;
  const first = assigned[0];
  if (offset === undefined || first === undefined) return;
  if (offset === 'earliest') consumer.seekToBeginning(assigned);
  else if (offset === 'latest') consumer.seekToEnd(assigned);
  else consumer.seek(first, offset);
}

/** Waits for `out` to take more, or for `abandoned()` (checked on an interval, bounded). */
function drained(out: Writable, abandoned: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = setInterval(() => {
      if (abandoned()) done();
    }, 100);
    const done = (): void => {
      clearInterval(check);
      out.removeListener('drain', done);
      resolve();
    };
    out.once('drain', done);
  });
}
