import { Eddy, type GroupPartitionLag } from '@eddy/client';
import { type FakeCluster, startFakeCluster } from '@eddy/client/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { lagTimes } from './lag-time.js';

let cluster: FakeCluster | undefined;
let eddy: Eddy | undefined;
afterEach(async () => {
  await eddy?.close();
  await cluster?.close();
  eddy = undefined;
  cluster = undefined;
});

const row = (partition: number, committedOffset: bigint | null, logEndOffset: bigint): GroupPartitionLag => ({
  topic: 'lines',
  partition,
  committedOffset,
  logEndOffset,
  lag: committedOffset === null ? null : logEndOffset - committedOffset,
  memberId: null,
  commitTimestampMs: -1,
});

describe('lagTimes', () => {
  it('gives the age of the oldest unread record per partition: 0 without lag, null without a committed offset', async () => {
    cluster = await startFakeCluster({ brokers: 2, topics: [{ name: 'lines', partitions: 3 }] });
    eddy = new Eddy({ bootstrapServers: cluster.bootstrapServers, clientId: 'lag-test', retry: { deadlineMs: 2_000 } });
    const nowMs = 1_800_000_000_000;
    const producer = eddy.producer({ lingerMs: 0 });
    await producer.send({ topic: 'lines', messages: [5_000, 3_000, 1_000].map((ageMs) => ({ value: `${ageMs}`, partition: 0, timestamp: nowMs - ageMs })) });
    await producer.send({ topic: 'lines', messages: [{ value: 'x', partition: 1, timestamp: nowMs - 9_000 }] });
    await producer.close();
    const times = await lagTimes(eddy, [row(0, 1n, 3n), row(1, 1n, 1n), row(2, null, 0n)], nowMs, 5_000);
    expect(times).toEqual([
      { topic: 'lines', partition: 0, lagSeconds: 3 },
      { topic: 'lines', partition: 1, lagSeconds: 0 },
      { topic: 'lines', partition: 2, lagSeconds: null },
    ]);
  });
});
