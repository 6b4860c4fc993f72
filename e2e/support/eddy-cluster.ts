import { freeLoopbackPorts } from '@eddy/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EddyProcess, type RunResult, runEddy } from './eddy-process.js';

export interface ProcessClusterOptions {
  readonly nodes: number;
  /** Extra `--set key=value` settings for every node. */
  readonly settings?: Readonly<Record<string, string>>;
}

/**
 * A cluster of real `eddy server` processes on loopback, each with its own port and data
 * directory under one temporary root. `close()` kills every process and removes the data.
 */
export class ProcessCluster {
  private constructor(
    readonly root: string,
    readonly ports: readonly number[],
    readonly nodes: readonly EddyProcess[],
  ) {}

  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const root = await mkdtemp(join(tmpdir(), 'eddy-e2e-'));
    const ports = await freeLoopbackPorts(options.nodes);
    const quorum = ports.map((port, i) => `${i + 1}@127.0.0.1:${port}`).join(',');
    const settings = Object.entries(options.settings ?? {}).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
    const nodes = ports.map(
      (port, i) =>
        new EddyProcess([
          'server',
          '--node-id',
          String(i + 1),
          '--listen',
          `127.0.0.1:${port}`,
          '--data-dir',
          join(root, `node-${i + 1}`),
          '--controller-quorum',
          quorum,
          '--log-level',
          'warn',
          ...settings,
        ]),
    );
    for (const node of nodes) node.start();
    return new ProcessCluster(root, ports, nodes);
  }

  get bootstrapServers(): string {
    return this.ports.map((port) => `127.0.0.1:${port}`).join(',');
  }

  node(nodeId: number): EddyProcess {
    const node = this.nodes[nodeId - 1];
    if (node === undefined) throw new RangeError(`no node ${nodeId}`);
    return node;
  }

  /** Runs an `eddy` client command against this cluster (bootstrap from the running nodes). */
  eddy(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    const running = this.ports.filter((_, i) => this.nodes[i]?.isRunning === true).map((port) => `127.0.0.1:${port}`);
    return runEddy([...args, '--bootstrap-server', running.join(',')], options);
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    await rm(this.root, { recursive: true, force: true });
  }
}
