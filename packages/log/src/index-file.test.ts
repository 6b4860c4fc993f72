import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CachedFile, FileHandleCache } from './file-handle-cache.js';
import { IndexCorruptError, IndexFile, readIndexTail } from './index-file.js';
import { logLimits } from './limits.js';
import { offsetIndexFormat, writeOffsetEntry } from './sparse-index.js';
import { tempDir } from './test-support/fixtures.js';

describe('IndexFile', () => {
  let root: { dir: string; remove: () => Promise<void> };
  let cache: FileHandleCache;
  beforeEach(async () => {
    root = await tempDir();
    cache = new FileHandleCache(4);
  });
  afterEach(async () => {
    await cache.closeIdle();
    await root.remove();
  });

  const key = offsetIndexFormat.keys.relativeOffset;
  const position = (hit: { entry: Buffer } | undefined): number | undefined => (hit === undefined ? undefined : offsetIndexFormat.keys.position(hit.entry, 0));

  async function indexWith(count: number, step = 10): Promise<IndexFile> {
    const file = new CachedFile(path.join(root.dir, 'x.index'));
    const entries = Buffer.alloc(count * 8);
    for (let i = 0; i < count; i++) writeOffsetEntry(entries, i * 8, i * step, i * 100);
    await writeFile(file.path, entries);
    const tail = await readIndexTail(cache, file, offsetIndexFormat, entries.length);
    return new IndexFile(file, offsetIndexFormat, cache, tail.count, tail.last, 'present');
  }

  it('looks up entries on disk beyond one window, and in the in-memory tail', async () => {
    const count = logLimits.indexLookupWindowEntries * 5 + 3;
    const index = await indexWith(count);
    expect(await index.findLast(key, -1)).toBeUndefined();
    expect(position(await index.findLast(key, 0))).toBe(0);
    expect(position(await index.findLast(key, 15))).toBe(100);
    expect(position(await index.findLast(key, 12_345))).toBe(123_400);
    expect(position(await index.findLast(key, 10 ** 9))).toBe((count - 1) * 100);
    index.add((target, at) => writeOffsetEntry(target, at, count * 10 + 5, count * 100 + 7));
    expect(position(await index.findLast(key, count * 10 + 5))).toBe(count * 100 + 7);
    expect(position(await index.findLast(key, count * 10 + 4))).toBe((count - 1) * 100);
    await index.writePending();
    expect(index.count).toBe(count + 1);
    await index.truncateTo(10);
    expect(position(await index.findLast(key, 10 ** 9))).toBe(900);
    await index.truncateTo(0);
    expect(await index.findLast(key, 10 ** 9)).toBeUndefined();
  });

  it('refuses entries that go back, and reports a non-monotonic file as corrupt', async () => {
    const index = await indexWith(logLimits.indexLookupWindowEntries * 3);
    expect(() => index.add((target, at) => writeOffsetEntry(target, at, 5, 5))).toThrow(/never go back/);
    const file = index.file.path;
    const broken = Buffer.alloc(logLimits.indexLookupWindowEntries * 3 * 8);
    for (let i = 0; i < logLimits.indexLookupWindowEntries * 3; i++) writeOffsetEntry(broken, i * 8, i % 7, i);
    await writeFile(file, broken);
    await expect(index.findLast(key, 3)).rejects.toBeInstanceOf(IndexCorruptError);
    await expect(readIndexTail(cache, index.file, offsetIndexFormat, 13)).rejects.toBeInstanceOf(IndexCorruptError);
  });
});
