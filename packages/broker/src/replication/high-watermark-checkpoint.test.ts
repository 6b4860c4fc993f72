import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatHighWatermarks, HighWatermarkCheckpoint, parseHighWatermarks } from './high-watermark-checkpoint.js';

describe('HighWatermarkCheckpoint', () => {
  it('round-trips high watermarks through the file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'eddy-hw-'));
    try {
      const checkpoint = new HighWatermarkCheckpoint(dir);
      expect(await checkpoint.read()).toEqual(new Map());
      await checkpoint.write([
        { topic: 'orders', partition: 1, highWatermark: 42n },
        { topic: 'my-topic.v2', partition: 0, highWatermark: 9_007_199_254_740_993n },
      ]);
      expect(await new HighWatermarkCheckpoint(dir).read()).toEqual(
        new Map([
          ['orders-1', 42n],
          ['my-topic.v2-0', 9_007_199_254_740_993n],
        ]),
      );
      await writeFile(checkpoint.file, '0\n2\norders 1 42\n');
      expect(await checkpoint.read()).toEqual(new Map());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects anything malformed as a whole', () => {
    expect(parseHighWatermarks(formatHighWatermarks([]))).toEqual(new Map());
    expect(parseHighWatermarks('1\n0\n')).toBeUndefined();
    expect(parseHighWatermarks('0\n1\nbad topic 0 1\n')).toBeUndefined();
    expect(parseHighWatermarks('0\n1\nt 0 -1\n')).toBeUndefined();
    expect(parseHighWatermarks('')).toBeUndefined();
  });
});
