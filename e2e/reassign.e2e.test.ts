import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describePartitions, eddyUntilOk, waitForRunningBrokers } from './support/cluster-state.js';
import { ProcessCluster } from './support/eddy-cluster.js';
import { waitFor } from './support/wait.js';

let cluster: ProcessCluster | undefined;
let files: string | undefined;
beforeAll(async () => {
  files = await mkdtemp(join(tmpdir(), 'eddy-reassign-'));
  cluster = await ProcessCluster.start({ nodes: 3 });
  await waitForRunningBrokers(cluster, 3);
});
afterAll(async () => {
  await cluster?.close();
  if (files !== undefined) await rm(files, { recursive: true, force: true });
  cluster = undefined;
});

function running(): { c: ProcessCluster; dir: string } {
  if (cluster === undefined || files === undefined) throw new Error('no cluster');
  return { c: cluster, dir: files };
}

interface PlanEntry {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: number[];
}

/** The JSON printed on the line after `heading`. */
function jsonAfter(stdout: string, heading: string): { version: number; partitions: PlanEntry[] } {
  const lines = stdout.split('\n');
  const at = lines.indexOf(heading);
  const json = lines.slice(at + 1).find((line) => line.startsWith('{'));
  if (at < 0 || json === undefined) throw new Error(`no "${heading}" in ${stdout}`);
  return JSON.parse(json) as { version: number; partitions: PlanEntry[] };
}

describe('eddy reassign against real processes', () => {
  it('generates a plan, executes it, verifies it and reads the data from the new brokers', async () => {
    const { c, dir } = running();
    await eddyUntilOk(c, ['topics', 'create', '--topic', 'moves', '--partitions', '2', '--replication-factor', '1']);
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`);
    const produced = await c.eddy(['produce', '--topic', 'moves', '--acks', 'all'], { input: `${lines.join('\n')}\n` });
    expect(produced.code).toBe(0);
    const before = await waitFor('partitions with leaders', async () => {
      const partitions = await describePartitions(c, 'moves');
      return partitions?.length === 2 && partitions.every((p) => p.leader > 0) ? partitions : undefined;
    }, 30_000);

    const topicsFile = join(dir, 'topics.json');
    await writeFile(topicsFile, JSON.stringify({ version: 1, topics: [{ topic: 'moves' }] }));
    const generated = await c.eddy(['reassign', 'generate', '--topics-to-move-json-file', topicsFile, '--broker-list', '2,3']);
    expect(generated.stderr).toBe('');
    expect(generated.code).toBe(0);
    const current = jsonAfter(generated.stdout, 'Current partition replica assignment');
    expect(current.partitions).toEqual(before.map((p) => ({ topic: 'moves', partition: p.partition, replicas: p.replicas })));
    const proposed = jsonAfter(generated.stdout, 'Proposed partition reassignment configuration');
    expect(proposed.version).toBe(1);
    expect(proposed.partitions.map((p) => p.partition)).toEqual([0, 1]);
    for (const p of proposed.partitions) expect(p.replicas.length === 1 && [2, 3].includes(p.replicas[0]!)).toBe(true);

    // Every partition moves to a broker it is not on now, so both really move.
    const plan = before.map((p) => ({ topic: 'moves', partition: p.partition, replicas: [(p.replicas[0]! % 3) + 1] }));
    const planFile = join(dir, 'plan.json');
    await writeFile(planFile, JSON.stringify({ version: 1, partitions: plan }));
    const executed = await c.eddy(['reassign', 'execute', '--reassignment-json-file', planFile]);
    expect(executed.stderr).toBe('');
    expect(executed.code).toBe(0);
    expect(executed.stdout).toContain('Successfully started partition reassignments for moves-0,moves-1');
    expect(jsonAfter(executed.stdout, 'Current partition replica assignment').partitions).toEqual(current.partitions);

    const verified = await waitFor('the reassignment verified', async () => {
      const result = await c.eddy(['reassign', 'verify', '--reassignment-json-file', planFile]);
      return result.code === 0 && !result.stdout.includes('in progress') ? result.stdout : undefined;
    }, 30_000);
    expect(verified).toBe('Status of partition reassignment:\nReassignment of partition moves-0 is completed.\nReassignment of partition moves-1 is completed.\n');
    const after = await describePartitions(c, 'moves');
    expect(after?.map((p) => p.replicas)).toEqual(plan.map((p) => p.replicas));

    const consumed = await c.eddy(['consume', '--topic', 'moves', '--from-beginning', '--max-messages', String(lines.length)]);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout.split('\n').slice(0, -1).sort()).toEqual([...lines].sort());
    for (const p of before) {
      const oldDir = join(c.root, `node-${p.replicas[0]}`);
      await waitFor(`moves-${p.partition} gone from broker ${p.replicas[0]}`, async () => ((await readdir(oldDir)).some((name) => name.startsWith(`moves-${p.partition}`)) ? undefined : true), 30_000);
    }

    // The old assignment is no longer what the cluster has: verify says so and fails.
    const rollbackFile = join(dir, 'rollback.json');
    await writeFile(rollbackFile, JSON.stringify(current));
    const diverged = await c.eddy(['reassign', 'verify', '--reassignment-json-file', rollbackFile]);
    expect(diverged.code).not.toBe(0);
    expect(diverged.stdout).toContain('There is no active reassignment of partition moves-0');
    expect(diverged.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('fails with one line on stderr for bad files, unknown brokers and a throttle', async () => {
    const { c, dir } = running();
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"version":1,"partitions":[{"topic":"moves","partition":0}]}');
    const bad = await c.eddy(['reassign', 'execute', '--reassignment-json-file', broken]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toBe(`error: INVALID_REQUEST: ${broken}: partitions[0].replicas must be a non-empty array of broker ids\n`);

    const unknownBroker = join(dir, 'unknown-broker.json');
    await writeFile(unknownBroker, JSON.stringify({ version: 1, partitions: [{ topic: 'moves', partition: 0, replicas: [9] }] }));
    const refused = await c.eddy(['reassign', 'execute', '--reassignment-json-file', unknownBroker]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^error: INVALID_REPLICA_ASSIGNMENT: .*broker 9, which is not registered\n$/);

    const throttled = await c.eddy(['reassign', 'execute', '--reassignment-json-file', unknownBroker, '--throttle', '1000000']);
    expect(throttled.code).not.toBe(0);
    expect(throttled.stderr).toMatch(/^error: INVALID_REQUEST: .*throttling reassignment traffic is not supported yet/);
  });
});
