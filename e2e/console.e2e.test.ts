import { describe, expect, it } from 'vitest';
import { eddyUntilOk, waitForRunningBrokers } from './support/cluster-state.js';
import { sharedCluster } from './support/shared-cluster.js';

const running = sharedCluster({ nodes: 3, settings: { 'group.initial.rebalance.delay.ms': '0' } }, (cluster) => waitForRunningBrokers(cluster, 3));

describe('eddy produce and eddy consume against real processes', () => {
  it('round-trips lines of stdin: keys at the separator, every record once, in order per key', async () => {
    const c = running();
    await eddyUntilOk(c, ['topics', 'create', '--topic', 'lines', '--partitions', '3', '--replication-factor', '3']);
    const lines = Array.from({ length: 1_000 }, (_, i) => `key-${i % 7}:value ${i}`);
    const produced = await c.eddy(['produce', '--topic', 'lines', '--key-separator', ':', '--acks', 'all'], { input: `${lines.join('\n')}\n` });
    expect(produced.stderr).toBe('');
    expect(produced.code).toBe(0);

    const consumed = await c.eddy(['consume', '--topic', 'lines', '--from-beginning', '--max-messages', String(lines.length), '--print-key']);
    expect(consumed.code).toBe(0);
    const printed = consumed.stdout.split('\n').slice(0, -1);
    expect(printed).toHaveLength(lines.length);
    expect([...printed].sort()).toEqual(lines.map((line) => line.replace(':', '\t')).sort());
    // A key always maps to one partition, and one partition is read in order: per key, in order.
    for (let key = 0; key < 7; key++) {
      const values = printed.filter((line) => line.startsWith(`key-${key}\t`)).map((line) => Number(line.split(' ')[1]));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
    expect(consumed.stderr).toBe(`Processed a total of ${lines.length} messages\n`);
  });

  it('reads one partition from an offset, and exits 0 once nothing arrived for --timeout-ms', async () => {
    const c = running();
    await eddyUntilOk(c, ['topics', 'create', '--topic', 'one-partition', '--partitions', '2', '--replication-factor', '2']);
    const produced = await c.eddy(['produce', '--topic', 'one-partition', '--partition', '1', '--acks', '1'], { input: 'a\nb\nc\nd' });
    expect(produced.code).toBe(0);
    const started = Date.now();
    const consumed = await c.eddy(['consume', '--topic', 'one-partition', '--partition', '1', '--offset', '2', '--timeout-ms', '1500']);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout).toBe('c\nd\n');
    expect(Date.now() - started).toBeLessThan(15_000);
    const empty = await c.eddy(['consume', '--topic', 'one-partition', '--partition', '0', '--from-beginning', '--timeout-ms', '500']);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe('');
  });

  it('consumes in a group: a second run of the group continues after what the first printed', async () => {
    const c = running();
    await eddyUntilOk(c, ['topics', 'create', '--topic', 'grouped', '--partitions', '3', '--replication-factor', '3']);
    const values = Array.from({ length: 30 }, (_, i) => `g${i}`);
    expect((await c.eddy(['produce', '--topic', 'grouped'], { input: values.join('\n') })).code).toBe(0);
    const first = await c.eddy(['consume', '--topic', 'grouped', '--group', 'readers', '--from-beginning', '--max-messages', '10'], { timeoutMs: 60_000 });
    expect(first.stderr).toBe('Processed a total of 10 messages\n');
    expect(first.code).toBe(0);
    const second = await c.eddy(['consume', '--topic', 'grouped', '--group', 'readers', '--from-beginning', '--timeout-ms', '3000'], { timeoutMs: 60_000 });
    expect(second.code).toBe(0);
    const seen = [...first.stdout.split('\n'), ...second.stdout.split('\n')].filter((line) => line !== '');
    expect(seen.sort()).toEqual([...values].sort());
  });

  it('load-tests with eddy perf produce and eddy perf consume, reporting JSON figures', async () => {
    const c = running();
    await eddyUntilOk(c, ['topics', 'create', '--topic', 'perf', '--partitions', '3', '--replication-factor', '3']);
    const produced = await c.eddy(['perf', 'produce', '--topic', 'perf', '--num-records', '20000', '--record-size', '100', '--acks', 'all', '--json']);
    expect(produced.stderr).toBe('');
    expect(produced.code).toBe(0);
    const sent = JSON.parse(produced.stdout) as Record<string, number>;
    expect(sent).toMatchObject({ records: 20_000, bytes: 2_000_000 });
    expect(sent.recordsPerSecond).toBeGreaterThan(0);
    expect(sent.p99LatencyMs).toBeGreaterThanOrEqual(sent.p50LatencyMs ?? Number.NaN);

    const consumed = await c.eddy(['perf', 'consume', '--topic', 'perf', '--messages', '20000', '--group', 'perf-readers', '--json']);
    expect(consumed.code).toBe(0);
    expect(JSON.parse(consumed.stdout)).toMatchObject({ records: 20_000, bytes: 2_000_000 });

    const short = await c.eddy(['perf', 'consume', '--topic', 'perf', '--messages', '20001', '--timeout-ms', '1000']);
    expect(short.code).not.toBe(0);
    expect(short.stderr).toMatch(/^error: REQUEST_TIMED_OUT: only 20000 of 20001 records arrived; none for 1000 ms\n$/);
  });

  it('fails with one line on stderr for an unknown topic, a partition it lacks and a line without the key separator', async () => {
    const c = running();
    for (const args of [
      ['produce', '--topic', 'no-such-topic'],
      ['consume', '--topic', 'no-such-topic', '--timeout-ms', '100'],
      ['produce', '--topic', 'lines', '--partition', '9'],
    ]) {
      const result = await c.eddy(args, { input: 'x\n' });
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr).toMatch(/^error: UNKNOWN_TOPIC_OR_PARTITION: .*\n$/);
    }
    const noSeparator = await c.eddy(['produce', '--topic', 'lines', '--key-separator', ':'], { input: 'k:v\nno separator here\n' });
    expect(noSeparator.code).not.toBe(0);
    expect(noSeparator.stderr).toBe('error: INVALID_REQUEST: no key separator ":" on line 2: "no separator here"\n');
  });
});
