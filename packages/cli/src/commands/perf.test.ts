import { describe, expect, it } from 'vitest';
import { fakeClusterPerTest } from '../test-support/fake-cluster.js';
import { perfConsume, perfConsumeSettings, perfProduce, perfProduceSettings } from './perf.js';

const connect = fakeClusterPerTest('load');

const produceFlags = { topic: 'load', numRecords: '3000', recordSize: '100', acks: 'all', throughput: '-1', reportingIntervalMs: '5000' };

describe('eddy perf produce', () => {
  it('sends the records, one acknowledged latency each, and reports them', async () => {
    const c = await connect();
    const summary = await perfProduce(c.eddy, perfProduceSettings(produceFlags), () => undefined);
    expect(summary).toMatchObject({ records: 3_000, bytes: 300_000 });
    expect(summary.p50LatencyMs).toBeGreaterThan(0);
    expect(summary.p999LatencyMs).toBeGreaterThanOrEqual(summary.p50LatencyMs);
    const stored = [0, 1, 2].flatMap((partition) => c.cluster.records('load', partition));
    expect(stored).toHaveLength(3_000);
    expect(stored.every((record) => record.value?.length === 100 && /^[A-Z]+$/.test(record.value.toString()))).toBe(true);
  });

  it('paces sends to --throughput and prints progress lines', async () => {
    const c = await connect();
    const lines: string[] = [];
    const summary = await perfProduce(c.eddy, perfProduceSettings({ ...produceFlags, numRecords: '60', throughput: '200', reportingIntervalMs: '100' }), (line) => lines.push(line));
    // 60 records at 200/s take at least the 59 gaps of 5 ms.
    expect(summary.elapsedMs).toBeGreaterThanOrEqual(290);
    expect(summary.recordsPerSecond).toBeLessThanOrEqual(210);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^\d+ records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency\.$/);
  });

  it('rejects bad flags and an unknown topic with typed errors', async () => {
    const c = await connect();
    expect(() => perfProduceSettings({ ...produceFlags, numRecords: '0' })).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => perfProduceSettings({ ...produceFlags, throughput: '0' })).toThrow(/--throughput/);
    expect(() => perfProduceSettings({ ...produceFlags, acks: '2' })).toThrow();
    await expect(perfProduce(c.eddy, perfProduceSettings({ ...produceFlags, topic: 'missing' }), () => undefined)).rejects.toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
  });
});

describe('eddy perf consume', () => {
  it('reads the asked number of records from the beginning of every partition, with or without a group', async () => {
    const c = await connect();
    await perfProduce(c.eddy, perfProduceSettings({ ...produceFlags, numRecords: '900' }), () => undefined);
    const manual = await perfConsume(c.eddy, perfConsumeSettings({ topic: 'load', messages: '900', timeoutMs: '5000' }));
    expect(manual).toMatchObject({ records: 900, bytes: 90_000 });
    const grouped = await perfConsume(c.eddy, perfConsumeSettings({ topic: 'load', messages: '500', group: 'perf', timeoutMs: '5000' }));
    expect(grouped).toMatchObject({ records: 500, bytes: 50_000 });
  });

  it('fails when fewer records arrive than asked for', async () => {
    const c = await connect();
    await perfProduce(c.eddy, perfProduceSettings({ ...produceFlags, numRecords: '10' }), () => undefined);
    await expect(perfConsume(c.eddy, perfConsumeSettings({ topic: 'load', messages: '11', timeoutMs: '300' }))).rejects.toThrow(/only 10 of 11 records arrived/);
  });
});
