import { describe, expect, it } from 'vitest';
import { planLocalCluster } from './local-cluster-plan.js';

describe('planLocalCluster', () => {
  it('puts node i on basePort + i - 1 with all nodes voting in a 3-node cluster', () => {
    const plan = planLocalCluster({ brokers: 3, dataDir: '/tmp/eddy-x', basePort: 9092, host: '127.0.0.1' });
    expect(plan.map((node) => node.listen)).toEqual(['127.0.0.1:9092', '127.0.0.1:9093', '127.0.0.1:9094']);
    expect(plan[1]?.serverArgs).toEqual([
      'server',
      '--node-id',
      '2',
      '--listen',
      '127.0.0.1:9093',
      '--data-dir',
      '/tmp/eddy-x/node-2',
      '--controller-quorum',
      '1@127.0.0.1:9092,2@127.0.0.1:9093,3@127.0.0.1:9094',
    ]);
    expect(plan[2]?.logFile).toBe('/tmp/eddy-x/node-3.log');
  });

  it('keeps five voters in bigger clusters', () => {
    const plan = planLocalCluster({ brokers: 7, dataDir: 'd', basePort: 10000, host: '127.0.0.1' });
    const quorum = plan[6]?.serverArgs.at(-1) ?? '';
    expect(quorum.split(',')).toHaveLength(5);
    expect(quorum).not.toContain('6@');
  });

  it.each([
    [{ brokers: 0, basePort: 9092 }, /--brokers/],
    [{ brokers: 2.5, basePort: 9092 }, /--brokers/],
    [{ brokers: 3, basePort: 65534 }, /--base-port/],
  ])('rejects bad options (%#)', (options, message) => {
    expect(() => planLocalCluster({ dataDir: 'd', host: '127.0.0.1', ...options })).toThrow(message);
  });
});
