import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eddyBin, runEddy } from './support/eddy-process.js';
import { waitFor } from './support/wait.js';

/** A base port with `count` consecutive free ports above it on 127.0.0.1. */
async function freeConsecutivePorts(count: number): Promise<number> {
  const isFree = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(((Date.now() % 997) * 37 + attempt * 101) % 30_000);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => isFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

interface Supervisor {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

function clusterStart(dataDir: string, basePort: number): Supervisor {
  const child = spawn(process.execPath, [eddyBin, 'cluster', 'start', '--brokers', '3', '--data-dir', dataDir, '--base-port', String(basePort)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => chunks.join(''), exited };
}

let root: string | undefined;
let running: Supervisor | undefined;
afterEach(async () => {
  if (running !== undefined && running.child.exitCode === null) {
    running.child.kill('SIGINT');
    await running.exited;
  }
  if (root !== undefined) await rm(root, { recursive: true, force: true });
  root = undefined;
  running = undefined;
});

describe('eddy cluster start', () => {
  it('stops every node and exits when Ctrl-C comes before the cluster is up', async () => {
    root = await mkdtemp(join(tmpdir(), 'eddy-cluster-start-'));
    const dir = root;
    running = clusterStart(dir, await freeConsecutivePorts(3));
    // Interrupt as soon as the nodes are being started (their log files exist).
    await waitFor('the nodes to be spawned', async () => ((await readdir(dir)).filter((name) => name.endsWith('.log')).length === 3 ? true : undefined), 30_000);
    running.child.kill('SIGINT');
    expect(await running.exited).toBe(0);
    expect(running.output()).toContain('Stopped every node.');
  });

  it('starts three nodes, stops them all on Ctrl-C, and resumes the same cluster and data', async () => {
    root = await mkdtemp(join(tmpdir(), 'eddy-cluster-start-'));
    const basePort = await freeConsecutivePorts(3);
    const bootstrap = ['--bootstrap-server', `127.0.0.1:${basePort}`];

    running = clusterStart(root, basePort);
    await waitFor('the cluster to be up', () => (running?.output().includes('is up') === true ? true : undefined), 60_000);
    expect(running.output()).toContain(`Bootstrap servers: 127.0.0.1:${basePort},127.0.0.1:${basePort + 1},127.0.0.1:${basePort + 2}`);
    const created = await runEddy(['topics', 'create', '--topic', 'kept', '--partitions', '3', '--replication-factor', '3', ...bootstrap]);
    expect(created.code).toBe(0);
    const produced = await runEddy(['produce', '--topic', 'kept', ...bootstrap], { input: 'one\ntwo\nthree\n' });
    expect(produced.code).toBe(0);
    const clusterId = JSON.parse((await runEddy(['quorum', 'describe', '--status', '--json', ...bootstrap])).stdout) as { clusterId: string };

    running.child.kill('SIGINT');
    expect(await running.exited).toBe(0);
    expect(running.output()).toContain('Stopped every node.');

    running = clusterStart(root, basePort);
    await waitFor('the cluster to be up again', () => (running?.output().includes('is up') === true ? true : undefined), 60_000);
    const status = JSON.parse((await runEddy(['quorum', 'describe', '--status', '--json', ...bootstrap])).stdout) as { clusterId: string };
    expect(status.clusterId).toBe(clusterId.clusterId);
    const consumed = await runEddy(['consume', '--topic', 'kept', '--from-beginning', '--max-messages', '3', '--timeout-ms', '20000', ...bootstrap]);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout.trim().split('\n').sort()).toEqual(['one', 'three', 'two']);
  });
});
