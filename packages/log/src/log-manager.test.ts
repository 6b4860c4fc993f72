import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@eddy/base';
import { PARTITION_METADATA_FILE } from './file-names.js';
import { LogManager } from './log-manager.js';
import { batchesOf, makeBatch, tempDir } from './test-support/fixtures.js';

describe('LogManager', () => {
  let root: { dir: string; remove: () => Promise<void> };
  let clock: ManualClock;
  beforeEach(async () => {
    root = await tempDir();
    clock = new ManualClock();
  });
  afterEach(() => root.remove());

  it('creates logs once, finds them again after a restart and deletes them', async () => {
    const manager = new LogManager({ dataDir: root.dir, maxOpenFiles: 16 }, { clock });
    const [a, again] = await Promise.all([manager.getOrCreate('orders', 0), manager.getOrCreate('orders', 0)]);
    expect(a).toBe(again);
    await a.append(makeBatch({ records: 3 }), { leaderEpoch: 0, assignOffsets: true });
    const b = await manager.getOrCreate('my-events', 12, { segmentBytes: 2048 });
    await b.append(makeBatch(), { leaderEpoch: 0, assignOffsets: true });
    expect(manager.partitions()).toEqual([
      { topic: 'orders', partition: 0 },
      { topic: 'my-events', partition: 12 },
    ]);
    await manager.close();
    await expect(manager.getOrCreate('orders', 0)).rejects.toThrow(/closed/);

    const reopened = new LogManager({ dataDir: root.dir, maxOpenFiles: 16 }, { clock });
    expect(await reopened.openAll((tp) => (tp.topic === 'my-events' ? { segmentBytes: 2048 } : undefined))).toBe(2);
    expect(reopened.get('orders', 0)?.logEndOffset).toBe(3n);
    expect(reopened.get('my-events', 12)?.config.segmentBytes).toBe(2048);
    await reopened.delete('orders', 0);
    expect(reopened.get('orders', 0)).toBeUndefined();
    await reopened.close();
    expect(await readdir(root.dir)).toEqual(['my-events-12']);
  });

  it('finishes a deletion a crash interrupted and ignores foreign directories', async () => {
    await mkdir(path.join(root.dir, 'gone-1.17000-delete'), { recursive: true });
    await writeFile(path.join(root.dir, 'gone-1.17000-delete', 'x'), 'x');
    await mkdir(path.join(root.dir, 'lost+found'));
    const manager = new LogManager({ dataDir: root.dir }, { clock });
    expect(await manager.openAll()).toBe(0);
    await manager.close();
    expect(await readdir(root.dir)).toEqual(['lost+found']);
  });

  it('records a topic id on the logs it creates or adopts, and leaves another id to the caller', async () => {
    const manager = new LogManager({ dataDir: root.dir }, { clock });
    const created = await manager.getOrCreate('a', 0, undefined, 'id-a');
    expect(created.topicId).toBe('id-a');
    await created.append(makeBatch({ records: 2 }), { leaderEpoch: 0, assignOffsets: true });
    const legacy = await manager.getOrCreate('b', 0);
    await legacy.append(makeBatch({ records: 3 }), { leaderEpoch: 0, assignOffsets: true });
    expect(legacy.topicId).toBeUndefined();
    await manager.close();

    const reopened = new LogManager({ dataDir: root.dir }, { clock });
    expect(await reopened.openAll()).toBe(2);
    expect(reopened.get('a', 0)?.topicId).toBe('id-a');
    // A log from before topic ids is adopted with its data; one with another id is returned as it is.
    const adopted = await reopened.getOrCreate('b', 0, undefined, 'id-b');
    expect(adopted.topicId).toBe('id-b');
    expect(adopted.logEndOffset).toBe(3n);
    const stray = await reopened.getOrCreate('a', 0, undefined, 'id-a2');
    expect(stray.topicId).toBe('id-a');
    await reopened.delete('a', 0);
    const fresh = await reopened.getOrCreate('a', 0, undefined, 'id-a2');
    expect(fresh.topicId).toBe('id-a2');
    expect(fresh.logEndOffset).toBe(0n);
    await reopened.close();
    expect(await readFile(path.join(root.dir, 'b-0', PARTITION_METADATA_FILE), 'utf8')).toBe('version: 0\ntopic_id: id-b\n');
  });

  it('runs retention and flush.ms in the background', async () => {
    const manager = new LogManager(
      {
        dataDir: root.dir,
        defaultConfig: { segmentBytes: 1024, retentionBytes: 2048, flushMs: 0 },
        retentionCheckIntervalMs: 5,
        flushCheckIntervalMs: 5,
      },
      { clock },
    );
    const log = await manager.getOrCreate('t', 0);
    manager.startBackgroundTasks();
    for (let i = 0; i < 40; i++) await log.append(makeBatch({ records: 2, valueBytes: 100, seed: i }), { leaderEpoch: 0, assignOffsets: true });
    const deadline = Date.now() + 5000;
    while ((log.sizeBytes > 2048 + 1024 || log.recoveryPoint < log.logEndOffset) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(log.sizeBytes).toBeLessThanOrEqual(2048 + 1024);
    expect(log.logStartOffset).toBeGreaterThan(0n);
    expect(log.recoveryPoint).toBe(log.logEndOffset);
    const { records } = await log.read(log.logStartOffset, 1 << 20);
    expect(batchesOf(records)[0]!.baseOffset).toBe(log.logStartOffset);
    await manager.close();
  });
});
