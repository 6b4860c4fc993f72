import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logLimits } from './limits.js';
import { type ScannedBatch, scanSegmentFile } from './segment-scanner.js';
import { makeBatch, tempDir } from './test-support/fixtures.js';

describe('scanSegmentFile', () => {
  let root: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => {
    root = await tempDir();
  });
  afterEach(() => root.remove());

  async function scan(bytes: Buffer, expectedOffset = 0n): Promise<{ outcome: Awaited<ReturnType<typeof scanSegmentFile>>; batches: ScannedBatch[] }> {
    const file = path.join(root.dir, 'segment.log');
    await writeFile(file, bytes);
    const handle = await open(file, 'r');
    const batches: ScannedBatch[] = [];
    try {
      const outcome = await scanSegmentFile(handle, { fromPosition: 0, endPosition: bytes.length, expectedOffset }, (batch) => batches.push(batch));
      return { outcome, batches };
    } finally {
      await handle.close();
    }
  }

  const three = (): Buffer[] => [
    makeBatch({ records: 2, baseOffset: 0n }),
    makeBatch({ records: 3, baseOffset: 2n, seed: 1 }),
    makeBatch({ records: 1, baseOffset: 5n, seed: 2 }),
  ];

  it('walks intact batches and reports the end', async () => {
    const { outcome, batches } = await scan(Buffer.concat(three()));
    expect(outcome.problem).toBeUndefined();
    expect(outcome.nextOffset).toBe(6n);
    expect(batches.map((batch) => batch.lastOffset)).toEqual([1n, 4n, 5n]);
  });

  it('stops at a torn tail, a corrupt batch or an offset gap', async () => {
    const [a, b, c] = three() as [Buffer, Buffer, Buffer];
    const torn = await scan(Buffer.concat([a, b, c.subarray(0, c.length - 1)]));
    expect([torn.outcome.validEnd, torn.outcome.nextOffset]).toEqual([a.length + b.length, 5n]);
    expect(torn.outcome.problem).toMatch(/torn/);
    const corrupt = Buffer.from(b);
    corrupt[corrupt.length - 2]! ^= 1;
    expect((await scan(Buffer.concat([a, corrupt, c]))).outcome).toMatchObject({ validEnd: a.length, nextOffset: 2n, problem: expect.stringMatching(/CRC/) as string });
    const gap = await scan(Buffer.concat([a, c]));
    expect(gap.outcome).toMatchObject({ validEnd: a.length, problem: expect.stringMatching(/expected 2/) as string });
    expect((await scan(Buffer.concat([a, Buffer.alloc(30)]))).outcome.validEnd).toBe(a.length);
  });

  it('reads batches larger than its chunk', async () => {
    const big = makeBatch({ records: 2, valueBytes: logLimits.scanChunkBytes, baseOffset: 0n });
    const { outcome, batches } = await scan(Buffer.concat([big, makeBatch({ baseOffset: 2n })]));
    expect(outcome).toMatchObject({ problem: undefined, nextOffset: 3n });
    expect(batches.length).toBe(2);
  });
});
