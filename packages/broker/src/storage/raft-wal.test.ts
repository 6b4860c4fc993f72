import { appendFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QuorumFiles } from './quorum-files.js';
import { RaftWal, type WalEntry } from './raft-wal.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'eddy-wal-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const entry = (index: number, term = 1, text = `e${index}`): WalEntry => ({ index, term, kind: index === 1 ? 'noop' : 'normal', data: Buffer.from(text) });
const entries = (from: number, to: number, term = 1): WalEntry[] => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, term));

async function reopen(): Promise<{ wal: RaftWal; loaded: readonly WalEntry[]; truncatedBytes: number }> {
  const { wal, load } = await RaftWal.open(directory);
  return { wal, loaded: load.entries, truncatedBytes: load.truncatedBytes };
}

describe('RaftWal', () => {
  it('restores appended entries exactly after reopening', async () => {
    const { wal } = await reopen();
    await wal.append(entries(1, 5));
    await wal.append([entry(6, 2, 'x'.repeat(10_000))]);
    await wal.close();
    const { wal: again, loaded, truncatedBytes } = await reopen();
    expect(truncatedBytes).toBe(0);
    expect(loaded).toEqual([...entries(1, 5), entry(6, 2, 'x'.repeat(10_000))]);
    expect(again.lastIndex).toBe(6);
    await again.close();
  });

  it('overwrites a conflicting suffix', async () => {
    const { wal } = await reopen();
    await wal.append(entries(1, 5));
    await wal.append(entries(3, 4, 2));
    await wal.close();
    const { wal: again, loaded } = await reopen();
    expect(loaded).toEqual([...entries(1, 2), ...entries(3, 4, 2)]);
    await again.close();
  });

  it('cuts a torn frame and garbage from the tail', async () => {
    const { wal } = await reopen();
    await wal.append(entries(1, 3));
    await wal.close();
    const path = join(directory, 'raft.log');
    const size = (await readFile(path)).byteLength;
    await truncate(path, size - 2);
    await appendFile(path, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    const { wal: again, loaded, truncatedBytes } = await reopen();
    expect(loaded).toEqual(entries(1, 2));
    expect(truncatedBytes).toBeGreaterThan(12);
    await again.append([entry(3, 3)]);
    await again.close();
    expect((await reopen()).loaded).toEqual([...entries(1, 2), entry(3, 3)]);
  });

  it('detects a flipped byte inside a frame and keeps what precedes it', async () => {
    const { wal } = await reopen();
    await wal.append(entries(1, 4));
    await wal.close();
    const path = join(directory, 'raft.log');
    const bytes = await readFile(path);
    const third = bytes.indexOf(Buffer.from('e3'));
    bytes[third] = (bytes[third] ?? 0) ^ 0xff;
    await writeFile(path, bytes);
    expect((await reopen()).loaded).toEqual(entries(1, 2));
  });

  it('compacts entries covered by a snapshot', async () => {
    const { wal } = await reopen();
    await wal.append(entries(1, 10));
    await wal.compact(7);
    await wal.append(entries(11, 12));
    await wal.truncateFrom(12);
    await wal.close();
    const { wal: again, loaded } = await reopen();
    expect(loaded).toEqual(entries(8, 11));
    expect(again.lastIndex).toBe(11);
    await again.close();
  });
});

describe('QuorumFiles', () => {
  it('keeps hard state and snapshot, and refuses damaged files', async () => {
    const files = new QuorumFiles(directory);
    expect(await files.loadHardState()).toBeUndefined();
    await files.saveHardState({ term: 4, vote: 2, commit: 9 });
    expect(await files.loadHardState()).toEqual({ term: 4, vote: 2, commit: 9 });
    await files.saveSnapshot({ index: 9, term: 4, voters: [1, 2, 3], observers: [4], data: Buffer.from('image') });
    const snapshot = await files.loadSnapshot();
    expect(snapshot).toMatchObject({ index: 9, term: 4, voters: [1, 2, 3], observers: [4] });
    expect(Buffer.from(snapshot!.data).toString()).toBe('image');
    const path = join(directory, 'quorum-state');
    const bytes = await readFile(path);
    bytes[bytes.length - 2] = (bytes[bytes.length - 2] ?? 0) ^ 1;
    await writeFile(path, bytes);
    await expect(files.loadHardState()).rejects.toMatchObject({ code: 'CORRUPT_RECORD', message: expect.stringMatching(/damaged/) });
  });
});
