import { describe, expect, it } from 'vitest';
import { FakeReassigningAdmin } from '../test-support/fake-reassigning-admin.js';
import { decommissionBroker, type DecommissionOptions } from './broker-decommission.js';

function options(reported: string[], onReport: (line: string) => void = () => undefined): DecommissionOptions {
  return {
    maxConcurrentMoves: 2,
    waveTimeoutMs: 10_000,
    shutdownTimeoutMs: 10_000,
    report: (line) => {
      reported.push(line);
      onReport(line);
    },
    sleep: () => Promise.resolve(),
  };
}

/** Brokers 1-3 are voters, 4 a broker-only node holding a replica of every partition. */
function cluster(): FakeReassigningAdmin {
  const admin = new FakeReassigningAdmin([1, 2, 3, 4], [1, 2, 3]);
  admin.addTopic('orders', [
    [4, 1, 2],
    [2, 4, 3],
    [3, 1, 4],
  ]);
  admin.addTopic('__consumer_offsets', [[1, 4]]);
  return admin;
}

describe('decommissionBroker', () => {
  it('moves every replica off the broker in waves, waits for it to stop, then unregisters it', async () => {
    const admin = cluster();
    const reported: string[] = [];
    // The broker's process stops once the command asks for it (and it is fenced).
    const broker4 = admin.brokers.get(4);
    await decommissionBroker(
      admin,
      4,
      options(reported, (line) => {
        if (line.startsWith('Broker 4 is still running') && broker4 !== undefined) broker4.fenced = true;
      }),
    );
    expect(admin.brokers.has(4)).toBe(false);
    expect(admin.movesInFlightMax).toBe(2);
    for (const p of admin.partitions) {
      expect(p.replicas).not.toContain(4);
      expect(p.replicas).toHaveLength(p.topic === 'orders' ? 3 : 2);
    }
    expect(reported).toContain('Broker 4 holds no replicas and leads no partition');
    expect(reported).toContain('Broker 4 is still running: stop its process to finish (waiting up to 10 s)');
    expect(reported.at(-1)).toBe('Broker 4 decommissioned: 4 replica(s) moved off it, and it is unregistered from the cluster');
  });

  it('drains again when the broker was given a replica meanwhile, and resumes after an interruption', async () => {
    const admin = cluster();
    const broker4 = admin.brokers.get(4);
    if (broker4 !== undefined) broker4.fenced = true;
    // An interrupted run left a move onto broker 4's replacement in flight.
    await admin.alterPartitionReassignments([{ topic: 'orders', partition: 0, replicas: [3, 1, 2] }]);
    const reported: string[] = [];
    const unregister = admin.unregisterBroker.bind(admin);
    let refusals = 0;
    admin.unregisterBroker = (brokerId) => {
      if (refusals++ === 0) admin.addTopic('late', [[4, 1]]);
      return unregister(brokerId);
    };
    await decommissionBroker(admin, 4, options(reported));
    expect(reported[0]).toBe('Waiting for the reassignments in progress to finish first');
    expect(reported.some((line) => line.startsWith('Broker 4 was given new replicas meanwhile'))).toBe(true);
    expect(admin.replicasOf('late', 0)).not.toContain(4);
    expect(admin.replicasOf('orders', 0)).toEqual([3, 1, 2]);
    expect(admin.brokers.has(4)).toBe(false);
  });

  it('refuses unknown brokers, controller voters and too few brokers left, changing nothing', async () => {
    const admin = cluster();
    await expect(decommissionBroker(admin, 9, options([]))).rejects.toMatchObject({ code: 'BROKER_ID_NOT_REGISTERED', message: 'broker 9 is not registered' });
    await expect(decommissionBroker(admin, 2, options([]))).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('broker 2 is a controller voter') });
    const small = new FakeReassigningAdmin([1, 2, 3], [1]);
    small.addTopic('t', [[1, 2, 3]]);
    await expect(decommissionBroker(small, 3, options([]))).rejects.toMatchObject({ code: 'INVALID_REPLICATION_FACTOR' });
    expect(small.alterCalls).toEqual([]);
    expect(admin.alterCalls).toEqual([]);
  });
});
