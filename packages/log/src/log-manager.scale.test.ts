import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogManager } from './log-manager.js';
import { makeBatch, tempDir } from './test-support/fixtures.js';

const PARTITIONS = 10_000;
const MAX_OPEN_FILES = 64;

/** Descriptors this process holds (Linux). */
async function openDescriptors(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

describe('LogManager with 10,000 partitions', () => {
  let root: { dir: string; remove: () => Promise<void> };
  beforeAll(async () => {
    root = await tempDir('eddy-log-scale-');
  });
  afterAll(() => root.remove(), 60_000);

  it('creates, fills, closes and reopens them within a bounded number of file descriptors', async () => {
    const baseline = await openDescriptors();
    const batch = makeBatch({ records: 1, valueBytes: 100 });
    const manager = new LogManager({ dataDir: root.dir, maxOpenFiles: MAX_OPEN_FILES });
    let peak = 0;
    const topics = Array.from({ length: PARTITIONS }, (_, i) => i);
    for (let start = 0; start < PARTITIONS; start += 250) {
      await Promise.all(
        topics.slice(start, start + 250).map(async (i) => {
          const log = await manager.getOrCreate(`topic${i % 100}`, Math.floor(i / 100));
          await log.append(Buffer.from(batch), { leaderEpoch: 0, assignOffsets: true });
        }),
      );
      await manager.fileCache.settled();
      peak = Math.max(peak, manager.openFileCount);
    }
    expect(manager.size).toBe(PARTITIONS);
    expect(peak).toBeLessThanOrEqual(MAX_OPEN_FILES);
    await manager.close();
    expect(manager.openFileCount).toBe(0);

    const reopened = new LogManager({ dataDir: root.dir, maxOpenFiles: MAX_OPEN_FILES });
    const started = performance.now();
    expect(await reopened.openAll()).toBe(PARTITIONS);
    const openMs = performance.now() - started;
    await reopened.fileCache.settled();
    expect(reopened.openFileCount).toBeLessThanOrEqual(MAX_OPEN_FILES);
    expect((await openDescriptors()) - baseline).toBeLessThanOrEqual(MAX_OPEN_FILES + 16);
    const log = reopened.get('topic42', 99);
    expect(log?.logEndOffset).toBe(1n);
    const { records } = await log!.read(0n, 1024);
    // The stored batch is the appended one with its offset (99 * 100 + 42 had none: 0) and epoch stamped.
    expect(records.length).toBe(batch.length);
    expect(records.subarray(16).equals(batch.subarray(16))).toBe(true);
    await reopened.close();
    expect(openMs).toBeLessThan(15_000);
    // About 15 s on an idle 2-core machine; the bound leaves room for a busy one.
  }, 120_000);
});
