import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointWriter,
  formatOffsetCheckpoint,
  parseCheckpoint,
  parseOffsetCheckpoint,
  readTextFile,
  writeFileAtomically,
} from './checkpoint-file.js';
import { tempDir } from './test-support/fixtures.js';

describe('checkpoint files', () => {
  let root: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => {
    root = await tempDir();
  });
  afterEach(() => root.remove());

  it('formats and parses Kafka-style checkpoints strictly', () => {
    expect(formatOffsetCheckpoint(42n)).toBe('0\n1\n42\n');
    expect(parseOffsetCheckpoint('0\n1\n42\n')).toBe(42n);
    expect(parseOffsetCheckpoint('0\n1\n42')).toBeUndefined();
    expect(parseOffsetCheckpoint('0\n1\n-3\n')).toBeUndefined();
    expect(parseOffsetCheckpoint('')).toBeUndefined();
    expect(parseCheckpoint('0\n0\n')).toEqual([]);
    expect(parseCheckpoint('0\n2\na\n')).toBeUndefined();
  });

  it('replaces a file atomically and serializes concurrent writes, the newest text winning', async () => {
    const file = path.join(root.dir, 'cp');
    expect(await readTextFile(file)).toBeUndefined();
    await writeFileAtomically(file, 'one', true);
    expect(await readTextFile(file)).toBe('one');
    const writer = new CheckpointWriter(file);
    let value = 0;
    const writes = [1, 2, 3].map(() => writer.write(() => String(++value), false));
    await Promise.all(writes);
    expect(await readTextFile(file)).toBe('3');
    expect(await readdir(root.dir)).toEqual(['cp']);
  });
});
