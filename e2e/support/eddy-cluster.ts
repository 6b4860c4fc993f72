import { freeLoopbackPorts } from '@eddy/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EddyProcess, type RunResult, runEddy } from './eddy-process.js';

export interface ProcessClusterOptions {
  readonly nodes: number;
  /** How many of the nodes (the first ones) form the controller quorum; the rest are broker-only observers. Default: all. */
  readonly voters?: number;
  /** Extra `--set key=value` settings for every node. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Where each node runs, by node id - 1 (default: 127.0.0.1, as a plain child process). */
  readonly hosts?: readonly NodeHost[];
}

/** The address a node listens on, and the command prefix that runs it there (e.g. inside a network namespace). */
export interface NodeHost {
  readonly address: string;
  readonly commandPrefix?: readonly string[];
}

/** Runs `eddy` client commands against some nodes of a cluster. */
export interface EddyRunner {
  eddy(args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
}

/**
 * A cluster of real `eddy server` processes on loopback (127.0.0.1, or per-node hosts such as
 * network namespaces), each with its own port and data directory under one temporary root. `close()` kills every process and removes the data.
 */
export class ProcessCluster implements EddyRunner {
  private constructor(
    readonly root: string,
    readonly ports: readonly number[],
    readonly nodes: readonly EddyProcess[],
    private readonly addresses: readonly string[],
  ) {}

  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const root = await mkdtemp(join(tmpdir(), 'eddy-e2e-'));
    const ports = await freeLoopbackPorts(options.nodes);
    const hosts = ports.map((_, i): NodeHost => options.hosts?.[i] ?? { address: '127.0.0.1' });
    const addresses = ports.map((port, i) => `${hosts[i]?.address ?? ''}:${port}`);
    const quorum = addresses
      .slice(0, options.voters ?? addresses.length)
      .map((address, i) => `${i + 1}@${address}`)
      .join(',');
    const settings = Object.entries(options.settings ?? {}).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
    const nodes = addresses.map((address, i) => {
      const args = ['server', '--node-id', String(i + 1), '--listen', address, '--data-dir', join(root, `node-${i + 1}`), '--controller-quorum', quorum, '--log-level', 'warn', ...settings];
      return new EddyProcess(args, hosts[i]?.commandPrefix);
    });
    for (const node of nodes) node.start();
    return new ProcessCluster(root, ports, nodes, addresses);
  }

  get bootstrapServers(): string {
    return this.addresses.join(',');
  }

  node(nodeId: number): EddyProcess {
    const node = this.nodes[nodeId - 1];
    if (node === undefined) throw new RangeError(`no node ${nodeId}`);
    return node;
  }

  /** Runs an `eddy` client command against this cluster (bootstrap from the running nodes). */
  eddy(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    const running = this.addresses.filter((_, i) => this.nodes[i]?.isRunning === true);
    return runEddy([...args, '--bootstrap-server', running.join(',')], options);
  }

  /** Runs `eddy` commands bootstrapped from these nodes only (e.g. the side of a partition that holds the quorum). */
  through(nodeIds: readonly number[]): EddyRunner {
    const bootstrap = nodeIds.map((nodeId) => this.address(nodeId)).join(',');
    return { eddy: (args, options = {}) => runEddy([...args, '--bootstrap-server', bootstrap], options) };
  }

  /** The host:port node `nodeId` listens on. */
  address(nodeId: number): string {
    const address = this.addresses[nodeId - 1];
    if (address === undefined) throw new RangeError(`no node ${nodeId}`);
    return address;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    await rm(this.root, { recursive: true, force: true });
  }
}
