/**
 * Metadata quorum benchmark: three real `eddy server` processes on loopback (all voters), and
 * an admin client changing one topic config over and over. Each change is one metadata record
 * that the active controller commits through Raft (written and fsynced by a majority) before it
 * answers, so this measures committed metadata records per second and commit latency as a user
 * of the admin API sees them.
 *
 *   npx tsc -b && npx tsx tools/bench/quorum-commit.ts [--json]
 */
import { Eddy } from '@eddy/client';
import { build } from 'hdr-histogram-js';
import { ProcessCluster } from '../../e2e/support/eddy-cluster.js';
import { waitFor } from '../../e2e/support/wait.js';
import { formatNumber, formatTable } from './lib/index.js';

const LATENCY_CHANGES = 500;
const THROUGHPUT_MS = 5_000;
const IN_FLIGHT = 32;

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const cluster = await ProcessCluster.start({ nodes: 3 });
  const eddy = new Eddy({ bootstrapServers: cluster.bootstrapServers.split(','), clientId: 'quorum-bench' });
  try {
    const admin = eddy.admin();
    await waitFor('a quorum leader and three brokers', async () => {
      const described = await admin.describeCluster().catch(() => undefined);
      return described !== undefined && described.controller > 0 && described.brokers.filter((b) => !b.isFenced).length === 3 ? true : undefined;
    }, 60_000);
    await admin.createTopics([{ topic: 'quorum-bench', partitions: 1, replicationFactor: 1, configs: {} }]);
    let value = 1_000_000;
    const change = (): Promise<void> => admin.alterConfigs([{ type: 'topic', name: 'quorum-bench', configs: [{ name: 'retention.ms', value: String(value++) }] }]);

    for (let i = 0; i < 50; i++) await change();
    const latency = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
    for (let i = 0; i < LATENCY_CHANGES; i++) {
      const started = process.hrtime.bigint();
      await change();
      latency.recordValue(Number((process.hrtime.bigint() - started) / 1000n));
    }

    const before = (await admin.describeQuorum()).commitIndex;
    const startedMs = performance.now();
    let changes = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (performance.now() - startedMs < THROUGHPUT_MS) {
          await change();
          changes++;
        }
      }),
    );
    const elapsedS = (performance.now() - startedMs) / 1000;
    const after = (await admin.describeQuorum()).commitIndex;

    const result = {
      commitLatencyP50Ms: latency.getValueAtPercentile(50) / 1000,
      commitLatencyP99Ms: latency.getValueAtPercentile(99) / 1000,
      commitLatencyMaxMs: latency.maxValue / 1000,
      recordsPerSecond: changes / elapsedS,
      entriesCommitted: Number(after - before),
      inFlight: IN_FLIGHT,
    };
    if (json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stdout.write(
        formatTable(
          ['measure', 'value'],
          [
            ['commit latency p50 (1 in flight)', `${result.commitLatencyP50Ms.toFixed(2)} ms`],
            ['commit latency p99 (1 in flight)', `${result.commitLatencyP99Ms.toFixed(2)} ms`],
            [`committed records/s (${IN_FLIGHT} in flight)`, formatNumber(result.recordsPerSecond)],
            ['Raft entries committed meanwhile', formatNumber(result.entriesCommitted)],
          ],
        ),
      );
    }
    await admin.close();
  } finally {
    await eddy.close();
    await cluster.close();
  }
}

await main();
