import { encodeRecordBatch } from '@eddy/record';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PartitionLog } from './partition-log.js';

describe('PartitionLog appends of many batches at once', () => {
  it('indexes an append that carries more index entries than the pending buffer holds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eddy-multi-batch-'));
    try {
      const log = await PartitionLog.open(join(dir, 't-0'));
      const batches = Array.from({ length: 400 }, (_, i) => encodeRecordBatch([{ value: Buffer.alloc(5_000, i % 256) }]));
      const appended = await log.append(Buffer.concat(batches), { leaderEpoch: 0, assignOffsets: true });
      expect(appended.lastOffset).toBe(399n);
      // Every batch is found through the index after a clean reopen.
      await log.close();
      const reopened = await PartitionLog.open(join(dir, 't-0'));
      for (const offset of [0n, 137n, 250n, 399n]) {
        const read = await reopened.read(offset, 1);
        expect(read.records.readBigInt64BE(0)).toBe(offset);
      }
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
