import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';

/**
 * Small state files (recovery point, log start offset, leader epochs), in Kafka's checkpoint
 * format: a version line, a count line, then one entry per line. Written to a temp file and
 * renamed over the old one, so a reader sees the old or the new content, never a mix.
 */
const VERSION = 0;

export function formatCheckpoint(entries: readonly string[]): string {
  return `${VERSION}\n${entries.length}\n${entries.map((entry) => `${entry}\n`).join('')}`;
}

/** The entry lines, or undefined when the text is not a well-formed checkpoint. */
export function parseCheckpoint(text: string): string[] | undefined {
  const lines = text.split('\n');
  if (lines.at(-1) !== '') return undefined;
  lines.pop();
  if (lines.length < 2 || lines[0] !== String(VERSION)) return undefined;
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0 || lines.length !== count + 2) return undefined;
  return lines.slice(2);
}

/** A checkpoint of one offset (recovery point, log start offset). */
export function formatOffsetCheckpoint(offset: bigint): string {
  return formatCheckpoint([offset.toString()]);
}

export function parseOffsetCheckpoint(text: string): bigint | undefined {
  const entries = parseCheckpoint(text);
  const line = entries?.[0];
  if (entries?.length !== 1 || line === undefined || !/^\d{1,19}$/.test(line)) return undefined;
  return BigInt(line);
}

/** The file's text, or undefined when it does not exist. */
export async function readTextFile(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Replaces `file` atomically. With `durable`, the content is fsynced before the rename and the
 * directory after it, so the new content survives a crash once this resolves.
 */
export async function writeFileAtomically(file: string, text: string, durable: boolean): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  if (durable) await syncDirectory(path.dirname(file));
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Serializes the writes of one checkpoint file; each write takes the newest text. */
export class CheckpointWriter {
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  write(text: () => string, durable: boolean): Promise<void> {
    const run = this.chain.then(() => writeFileAtomically(this.file, text(), durable));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Waits for writes in flight. */
  async idle(): Promise<void> {
    await this.chain;
  }
}
