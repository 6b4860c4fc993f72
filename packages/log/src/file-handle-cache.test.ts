import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CachedFile, FileHandleCache } from './file-handle-cache.js';
import { tempDir } from './test-support/fixtures.js';

describe('FileHandleCache', () => {
  let root: { dir: string; remove: () => Promise<void> };
  let files: CachedFile[];
  beforeEach(async () => {
    root = await tempDir();
    files = [];
    for (let i = 0; i < 10; i++) {
      const file = path.join(root.dir, `f${i}`);
      await writeFile(file, `content ${i}`);
      files.push(new CachedFile(file));
    }
  });
  afterEach(() => root.remove());

  it('keeps at most its capacity of idle handles, closing the least recently used', async () => {
    const cache = new FileHandleCache(3);
    for (const file of files) await cache.with(file, () => Promise.resolve());
    expect(cache.openCount).toBeLessThanOrEqual(3);
    const opens = cache.opensCount;
    await cache.with(files[9]!, () => Promise.resolve()); // still cached
    expect(cache.opensCount).toBe(opens);
    await cache.with(files[0]!, () => Promise.resolve()); // evicted long ago
    expect(cache.opensCount).toBe(opens + 1);
    await cache.closeIdle();
    expect(cache.openCount).toBe(0);
  });

  it('never closes a leased handle, and shares one open between concurrent users', async () => {
    const cache = new FileHandleCache(1);
    const [a, b] = await Promise.all([cache.acquire(files[0]!), cache.acquire(files[0]!)]);
    expect(a).toBe(b);
    const other = await cache.acquire(files[1]!);
    expect(cache.openCount).toBe(2); // over capacity while leased
    const buf = Buffer.alloc(9);
    await a.read(buf, 0, 9, 0);
    expect(buf.toString()).toBe('content 0');
    cache.release(files[0]!);
    cache.release(files[0]!);
    cache.release(files[1]!);
    expect(other.fd).toBeGreaterThan(0);
    await cache.closeIdle();
    expect(cache.openCount).toBe(0);
  });

  it('leases an open handle without waiting, and only an open one', async () => {
    const cache = new FileHandleCache(1);
    expect(cache.acquireIfOpen(files[0]!)).toBeUndefined();
    expect(cache.openCount).toBe(0);
    const handle = await cache.acquire(files[0]!);
    cache.release(files[0]!);
    const leased = cache.acquireIfOpen(files[0]!);
    expect(leased).toBe(handle);
    await cache.with(files[1]!, () => Promise.resolve()); // needs room: the leased handle stays open
    await cache.settled();
    expect(cache.openCount).toBe(1);
    const buf = Buffer.alloc(9);
    await leased!.read(buf, 0, 9, 0);
    expect(buf.toString()).toBe('content 0');
    cache.release(files[0]!);
    await cache.closeIdle();
    expect(cache.openCount).toBe(0);
  });

  it('reopens a renamed file at its new path and reports a missing one', async () => {
    const cache = new FileHandleCache(2);
    const file = new CachedFile(path.join(root.dir, 'missing'));
    await expect(cache.with(file, () => Promise.resolve())).rejects.toMatchObject({ code: 'ENOENT' });
    expect(cache.openCount).toBe(0);
    file.path = files[2]!.path;
    await expect(cache.with(file, async (handle) => (await handle.stat()).size)).resolves.toBe(9);
    await cache.forget(file);
    expect(cache.openCount).toBe(0);
  });
});
