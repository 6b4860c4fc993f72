import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encodeRecordBatch, iterateBatches } from '@eddy/record';

/** A fresh directory under the OS temp dir; `remove` deletes it. Test-only. */
export async function tempDir(prefix = 'eddy-log-'): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface BatchSpec {
  readonly records?: number;
  readonly valueBytes?: number;
  readonly timestampMs?: number;
  readonly baseOffset?: bigint;
  readonly leaderEpoch?: number;
  /** Seed of the value bytes, so batches differ. */
  readonly seed?: number;
}

/** A valid record batch (value bytes derived from `seed`). */
export function makeBatch(spec: BatchSpec = {}): Buffer {
  const count = spec.records ?? 1;
  const valueBytes = spec.valueBytes ?? 16;
  const seed = spec.seed ?? 0;
  const records = Array.from({ length: count }, (_, i) => {
    const value = Buffer.alloc(valueBytes);
    for (let j = 0; j < valueBytes; j++) value[j] = (seed * 31 + i * 7 + j) & 0xff;
    return { key: `k${seed}-${i}`, value, timestamp: (spec.timestampMs ?? 1_700_000_000_000) + i };
  });
  return encodeRecordBatch(records, {
    baseOffset: spec.baseOffset ?? 0n,
    partitionLeaderEpoch: spec.leaderEpoch ?? -1,
    timestampMs: spec.timestampMs ?? 1_700_000_000_000,
  });
}

/** Base offsets and sizes of the batches in `records`. */
export function batchesOf(records: Buffer): Array<{ baseOffset: bigint; lastOffset: bigint; size: number; epoch: number }> {
  return [...iterateBatches(records)].map(({ header, size }) => ({
    baseOffset: header.baseOffset,
    lastOffset: header.baseOffset + BigInt(header.lastOffsetDelta),
    size,
    epoch: header.partitionLeaderEpoch,
  }));
}

export async function listFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}
