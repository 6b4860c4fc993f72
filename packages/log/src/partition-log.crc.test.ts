import { encodeRecordBatch } from '@eddy/record';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartitionLog } from './partition-log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eddy-crc-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('PartitionLog CRC checks on append', () => {
  it('refuses a corrupt batch unless the caller vouches for the CRC, and always checks framing', async () => {
    const log = await PartitionLog.open(join(dir, 't-0'));
    const corrupt = encodeRecordBatch([{ value: 'payload' }]);
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0xff;
    await expect(log.append(Buffer.from(corrupt), { leaderEpoch: 0, assignOffsets: true })).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    // The broker checked the CRC when the produce arrived and skips the second check.
    const trusted = await log.append(Buffer.from(encodeRecordBatch([{ value: 'ok' }])), { leaderEpoch: 0, assignOffsets: true, crcVerified: true });
    expect(trusted.baseOffset).toBe(0n);
    const badMagic = encodeRecordBatch([{ value: 'x' }]);
    badMagic[16] = 1;
    await expect(log.append(Buffer.from(badMagic), { leaderEpoch: 0, assignOffsets: true, crcVerified: true })).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    await log.close();
  });
});
