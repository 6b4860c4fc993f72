import { EddyError } from '@eddy/base';
import type { Acks, Eddy, Producer, ProducerMessage } from '@eddy/client';
import type { Command } from 'commander';
import type { Readable } from 'node:stream';
import { type ClientFlags, clientCommand, integerFlag, withEddy } from '../client-options.js';
import { LineSplitter } from '../console/line-splitter.js';
import { parseAcks, parseProduceLine } from '../console/produce-line.js';
import { cliLimits } from '../limits.js';

interface ProduceFlags extends ClientFlags {
  readonly topic: string;
  readonly keySeparator?: string;
  readonly acks?: string;
  readonly partition?: string;
}

interface ProduceSettings {
  readonly topic: string;
  readonly keySeparator: string | undefined;
  readonly acks: Acks;
  readonly partition: number | undefined;
}

export function registerProduceCommand(program: Command): void {
  clientCommand(program.command('produce').description('send the lines of stdin to a topic, one record per line'))
    .requiredOption('--topic <name>', 'the topic to write to')
    .option('--key-separator <sep>', 'split each line at the first <sep> into key and value (default: no key)')
    .option('--acks <acks>', 'all (wait for every in-sync replica), 1 (the leader) or 0 (no answer)', 'all')
    .option('--partition <n>', 'write every record to this partition (default: by key, or round-robin)')
    .action(async (flags: ProduceFlags) => {
      const settings = produceSettings(flags);
      await withEddy(flags, (eddy) => produceStdin(eddy, settings, process.stdin));
    });
}

function produceSettings(flags: ProduceFlags): ProduceSettings {
  if (flags.keySeparator === '') throw new EddyError('INVALID_REQUEST', '--key-separator must not be empty');
  return {
    topic: flags.topic,
    keySeparator: flags.keySeparator,
    acks: parseAcks(flags.acks),
    partition: flags.partition === undefined ? undefined : integerFlag('--partition', flags.partition, 0),
  };
}

/**
 * Reads `input` to its end and sends each line as a record. The lines of one chunk of input go
 * out in one `send()`, which is not awaited: the producer batches and pipelines them, and reading
 * pauses only while `produceSendsInFlightMax` sends are unsettled. At the end of the input the
 * producer is flushed. The first failure (a bad line, a send that failed for good) stops the
 * reading and is thrown after the producer is closed. SIGINT and SIGTERM end the input early:
 * the complete lines read so far are flushed, then the command exits.
 */
export async function produceStdin(eddy: Eddy, settings: ProduceSettings, input: Readable): Promise<void> {
  await checkTopic(eddy, settings);
  const producer = eddy.producer({ acks: settings.acks });
  const pending = new Set<Promise<void>>();
  let failure: Error | undefined;
  let interrupted = false;
  const splitter = new LineSplitter(cliLimits.produceLineCharsMax);

  // The producer keeps the order of send() calls, so lines go out without waiting for each other.
  const sendMessages = (messages: ProducerMessage[]): void => {
    if (messages.length === 0) return;
    const result = producer.send({ topic: settings.topic, messages });
    const sent: Promise<void> = result.then(
      () => {
        pending.delete(sent);
      },
      (error: unknown) => {
        pending.delete(sent);
        failure ??= asError(error);
      },
    );
    pending.add(sent);
  };
  /** Sends the lines; a line that cannot be parsed is thrown after the lines before it were sent. */
  const sendLines = (lines: readonly string[], firstLineNumber: number): void => {
    let messages: ProducerMessage[] = [];
    try {
      for (let i = 0; i < lines.length; i++) {
        const parsed = parseProduceLine(lines[i] as string, firstLineNumber + i, settings.keySeparator);
        messages.push(settings.partition === undefined ? parsed : { ...parsed, partition: settings.partition });
        if (messages.length === cliLimits.produceMessagesPerSendMax) {
          sendMessages(messages);
          messages = [];
        }
      }
    } finally {
      sendMessages(messages);
    }
  };

  const interrupt = (): void => {
    interrupted = true;
    input.destroy();
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    input.setEncoding('utf8');
    try {
      for await (const chunk of input as AsyncIterable<string>) {
        const firstLineNumber = splitter.lineCount + 1;
        sendLines(splitter.push(chunk), firstLineNumber);
        while (failure === undefined && pending.size >= cliLimits.produceSendsInFlightMax) await Promise.race(pending);
        if (failure !== undefined || interrupted) break;
      }
      // A partial last line counts when the input ended, not when it was interrupted.
      if (failure === undefined && !interrupted) sendLines(splitter.end(), splitter.lineCount);
    } catch (error: unknown) {
      // Destroying stdin (our own interrupt) may end the iteration with an error; that is no failure.
      if (!interrupted) failure ??= asError(error);
    }
    if (failure === undefined) {
      await Promise.all(pending);
      if (failure === undefined) await producer.flush();
    } else {
      // After a failure, what was sent before it gets a short grace period to be delivered.
      await flushWithin(producer, cliLimits.produceCloseAfterFailureMs);
    }
  } catch (error: unknown) {
    failure ??= asError(error);
  } finally {
    process.removeListener('SIGINT', interrupt);
    process.removeListener('SIGTERM', interrupt);
    await producer.close({ timeoutMs: failure === undefined ? cliLimits.produceCloseAfterFailureMs : 0 }).catch(() => undefined);
  }
  if (failure !== undefined) throw failure;
}

/** Fails fast, with a typed error, for an unknown topic or a partition it does not have. */
async function checkTopic(eddy: Eddy, settings: ProduceSettings): Promise<void> {
  const admin = eddy.admin();
  try {
    const [description] = await admin.describeTopics([settings.topic]);
    const count = description?.partitions.length ?? 0;
    if (settings.partition !== undefined && settings.partition >= count) {
      throw new EddyError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${settings.topic} has ${count} partitions; there is no partition ${settings.partition}`);
    }
  } finally {
    await admin.close();
  }
}

async function flushWithin(producer: Producer, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([producer.flush().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new EddyError('UNKNOWN_SERVER_ERROR', String(error));
}
