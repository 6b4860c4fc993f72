import { ManualClock } from '@eddy/base';
import { describe, expect, it } from 'vitest';
import { FakeReassigningAdmin } from '../test-support/fake-reassigning-admin.js';
import { applyInWaves, waitForReassignments } from './reassignment-waves.js';

const change = (partition: number, replicas: number[], newReplicas: number[]): { topic: string; partition: number; replicas: number[]; newReplicas: number[] } => ({
  topic: 't',
  partition,
  replicas,
  newReplicas,
});

describe('applyInWaves', () => {
  it('moves at most maxConcurrentMoves partitions at once, each wave done before the next, reorders first', async () => {
    const admin = new FakeReassigningAdmin([1, 2, 3, 4], [1, 2, 3]);
    admin.addTopic('t', Array.from({ length: 8 }, () => [1, 2]));
    const reported: string[] = [];
    const changes = [change(0, [1, 2], [2, 1]), ...Array.from({ length: 7 }, (_, i) => change(i + 1, [1, 2], [4, 2]))];
    await applyInWaves(admin, changes, { maxConcurrentMoves: 3, waveTimeoutMs: 10_000, report: (line) => reported.push(line), sleep: () => Promise.resolve() });
    expect(admin.movesInFlightMax).toBe(3);
    expect(admin.alterCalls).toEqual([1, 3, 3, 1]);
    expect(admin.replicasOf('t', 0)).toEqual([2, 1]);
    for (let p = 1; p <= 7; p++) expect(admin.replicasOf('t', p)).toEqual([4, 2]);
    expect(reported[0]).toBe('Reordered the replicas of 1 partition(s) (no data to copy)');
    expect(reported.filter((line) => /^Wave \d\/3 done in /.test(line))).toHaveLength(3);
    expect(reported[1]).toBe('Wave 1/3: moving t-1 [1,2] -> [4,2]; t-2 [1,2] -> [4,2]; t-3 [1,2] -> [4,2]');
  });

  it('gives up on a wave that outlasts its timeout, saying the moves go on', async () => {
    const admin = new FakeReassigningAdmin([1, 2], [1], 1_000);
    admin.addTopic('t', [[1]]);
    const clock = new ManualClock();
    const options = { waveTimeoutMs: 2_000, clock, sleep: (ms: number) => Promise.resolve(clock.advance(ms)) };
    await admin.alterPartitionReassignments([{ topic: 't', partition: 0, replicas: [2] }]);
    await expect(waitForReassignments(admin, [{ topic: 't', partition: 0 }], options)).rejects.toMatchObject({
      code: 'REQUEST_TIMED_OUT',
      message: 'reassignment of t-0 still running after 2000 ms; it goes on in the cluster, run the command again to resume',
    });
    expect(clock.monotonicMs()).toBe(2_000);
  });
});
