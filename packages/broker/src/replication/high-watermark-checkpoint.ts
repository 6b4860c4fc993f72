import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../storage/atomic-file.js';
import { partitionKey } from './partition-key.js';

/** Kafka's name for the file, in the log directory. */
export const HIGH_WATERMARK_CHECKPOINT_FILE = 'replication-offset-checkpoint';
const FORMAT_VERSION = '0';

export interface HighWatermarkEntry {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: bigint;
}

/**
 * The high watermarks of the local replicas, written now and then and at shutdown (Kafka's
 * replication-offset-checkpoint), so a restarted broker does not answer consumers with a high
 * watermark back at the log start until its followers fetch again. Losing it is harmless: the
 * high watermark is only a lower bound that replication re-establishes.
 *
 * Format: a version line, a count line, then `<topic> <partition> <highWatermark>` lines.
 */
export class HighWatermarkCheckpoint {
  readonly file: string;
  private lastWritten: string | undefined;

  constructor(logDir: string) {
    this.file = path.join(logDir, HIGH_WATERMARK_CHECKPOINT_FILE);
  }

  /** The checkpointed high watermarks by partition key; empty when the file is missing or malformed. */
  async read(): Promise<Map<string, bigint>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return new Map();
    }
    return parseHighWatermarks(text) ?? new Map();
  }

  /** Replaces the file (atomically) unless the content did not change since the last write. */
  async write(entries: Iterable<HighWatermarkEntry>): Promise<void> {
    const text = formatHighWatermarks(entries);
    if (text === this.lastWritten) return;
    await writeFileAtomically(this.file, Buffer.from(text, 'utf8'));
    this.lastWritten = text;
  }
}

export function formatHighWatermarks(entries: Iterable<HighWatermarkEntry>): string {
  const lines: string[] = [];
  for (const entry of entries) lines.push(`${entry.topic} ${entry.partition} ${entry.highWatermark}`);
  lines.sort();
  return `${FORMAT_VERSION}\n${lines.length}\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`;
}

/** Parses a checkpoint; undefined when it is malformed in any way. */
export function parseHighWatermarks(text: string): Map<string, bigint> | undefined {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines[0] !== FORMAT_VERSION || lines[1] === undefined || !/^\d{1,9}$/.test(lines[1])) return undefined;
  const count = Number(lines[1]);
  if (lines.length !== count + 2) return undefined;
  const result = new Map<string, bigint>();
  for (const line of lines.slice(2)) {
    const match = /^([a-zA-Z0-9._-]{1,249}) (\d{1,10}) (\d{1,19})$/.exec(line);
    if (match === null) return undefined;
    result.set(partitionKey(match[1] as string, Number(match[2])), BigInt(match[3] as string));
  }
  return result;
}
