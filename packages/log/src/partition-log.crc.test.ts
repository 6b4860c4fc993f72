import { encodeRecordBatch, stampBatch } from '@eddy/record';
import { appendFile, mkdtemp, rm, stat } from 'node:fs/promises';
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

const leader = { leaderEpoch: 0, assignOffsets: true } as const;
const segmentFile = (logDir: string): string => join(logDir, '00000000000000000000.log');

/** A batch whose last byte (inside the CRC's range) is flipped. */
function corruptBatch(value: string): Buffer {
  const batch = encodeRecordBatch([{ value }]);
  batch[batch.length - 1] = (batch[batch.length - 1] ?? 0) ^ 0xff;
  return batch;
}

async function allValues(log: PartitionLog): Promise<Buffer> {
  return (await log.read(log.logStartOffset, 1 << 20)).records;
}

describe('PartitionLog CRC checks on append', () => {
  it('refuses a corrupt batch unless the caller vouches for the CRC, and always checks framing', async () => {
    const log = await PartitionLog.open(join(dir, 't-0'));
    await expect(log.append(corruptBatch('payload'), leader)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    // The broker checked the CRC when the produce arrived and skips the second check.
    const trusted = await log.append(Buffer.from(encodeRecordBatch([{ value: 'ok' }])), { ...leader, crcVerified: true });
    expect(trusted.baseOffset).toBe(0n);
    const badMagic = encodeRecordBatch([{ value: 'x' }]);
    badMagic[16] = 1;
    await expect(log.append(Buffer.from(badMagic), { ...leader, crcVerified: true })).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    await log.close();
  });

  it('cuts a refused first batch (checked during its write) off the file and goes on where it was', async () => {
    const log = await PartitionLog.open(join(dir, 't-0'));
    await log.append(encodeRecordBatch([{ value: 'a' }]), leader);
    const sizeBefore = (await stat(segmentFile(log.dir))).size;
    const refused = Buffer.concat([corruptBatch('bad'), encodeRecordBatch([{ value: 'good' }])]);
    await expect(log.append(refused, leader)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    expect((await stat(segmentFile(log.dir))).size).toBe(sizeBefore);
    expect(log.logEndOffset).toBe(1n);
    expect(log.sizeBytes).toBe(sizeBefore);
    // A later batch of the append that fails is refused before anything is written.
    await expect(log.append(Buffer.concat([encodeRecordBatch([{ value: 'good' }]), corruptBatch('bad')]), leader)).rejects.toMatchObject({
      code: 'CORRUPT_RECORD',
    });
    expect((await stat(segmentFile(log.dir))).size).toBe(sizeBefore);
    const next = await log.append(encodeRecordBatch([{ value: 'b' }]), leader);
    expect(next.baseOffset).toBe(1n);
    expect(next.position).toBe(sizeBefore);
    const before = await allValues(log);
    await log.abandon();
    const reopened = await PartitionLog.open(join(dir, 't-0'));
    expect(reopened.logEndOffset).toBe(2n);
    expect((await allValues(reopened)).equals(before)).toBe(true);
    await reopened.close();
  });

  it('recovers in front of a refused append that a crash caught before it was cut off', async () => {
    const log = await PartitionLog.open(join(dir, 't-0'));
    await log.append(encodeRecordBatch([{ value: 'a' }]), leader);
    const kept = await allValues(log);
    await log.abandon();
    // What the file holds between the write and the cut: the stamped, refused append, whose
    // later batches are intact and continue the offsets.
    const first = corruptBatch('bad');
    const second = encodeRecordBatch([{ value: 'good' }]);
    stampBatch(first, 1n, 0);
    stampBatch(second, 2n, 0);
    await appendFile(segmentFile(join(dir, 't-0')), Buffer.concat([first, second]));
    const reopened = await PartitionLog.open(join(dir, 't-0'));
    expect(reopened.logEndOffset).toBe(1n);
    expect((await allValues(reopened)).equals(kept)).toBe(true);
    expect((await reopened.append(encodeRecordBatch([{ value: 'b' }]), leader)).baseOffset).toBe(1n);
    await reopened.close();
  });

  it('keeps epochs and offsets of a follower append that was refused during its write', async () => {
    const log = await PartitionLog.open(join(dir, 't-0'));
    await log.append(encodeRecordBatch([{ value: 'a' }]), leader);
    const refused = corruptBatch('bad');
    stampBatch(refused, 1n, 3);
    await expect(log.append(refused, { leaderEpoch: 3, assignOffsets: false })).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    expect(log.logEndOffset).toBe(1n);
    expect(await log.latestEpoch()).toBe(0);
    const accepted = Buffer.from(encodeRecordBatch([{ value: 'b' }]));
    stampBatch(accepted, 1n, 3);
    expect((await log.append(accepted, { leaderEpoch: 3, assignOffsets: false })).baseOffset).toBe(1n);
    expect(await log.latestEpoch()).toBe(3);
    await log.close();
  });
});
