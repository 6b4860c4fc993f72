import { createNodeLogger, EddyNode, resolveNodeConfig } from '@eddy/broker';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPorts } from './free-ports.js';

export interface StartClusterOptions {
  /** Nodes in the cluster (default 3). */
  readonly nodes?: number;
  /** How many of them (the first ones) vote in the metadata quorum; the rest are observers (default: all). */
  readonly voters?: number;
  /** Extra node settings (properties keys), e.g. `{ 'broker.session.timeout.ms': '2000' }`. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Log level of every node (default: silent). */
  readonly logLevel?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
}

export interface ClusterNode {
  readonly nodeId: number;
  /** `127.0.0.1:port`. */
  readonly address: string;
  readonly dataDir: string;
  /** The running node, or undefined while it is stopped. */
  readonly node: EddyNode | undefined;
  readonly isRunning: boolean;
  /** A clean stop: controlled shutdown, then close. */
  stop(): Promise<void>;
  /** An abrupt stop: no controlled shutdown (what a crash looks like to the others). */
  kill(): Promise<void>;
  /** Starts the node again on the same port and data directory. */
  restart(): Promise<void>;
}

export interface TestCluster {
  /** `host:port,host:port,...`, for clients. */
  readonly bootstrapServers: string;
  readonly nodes: readonly ClusterNode[];
  node(nodeId: number): ClusterNode;
  /** Stops every node and removes every data directory. */
  close(): Promise<void>;
}

/**
 * A real Eddy cluster inside this process: every node is a full EddyNode with its own
 * loopback port and temporary data directory. For integration tests (ours and users').
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<TestCluster> {
  const count = options.nodes ?? 3;
  const root = await mkdtemp(join(tmpdir(), 'eddy-cluster-'));
  const ports = await freeLoopbackPorts(count);
  const quorum = ports
    .slice(0, options.voters ?? count)
    .map((port, i) => `${i + 1}@127.0.0.1:${port}`)
    .join(',');
  const nodes = ports.map((port, i) => new InProcessNode(i + 1, port, join(root, `node-${i + 1}`), quorum, options));
  try {
    await Promise.all(nodes.map((node) => node.restart()));
  } catch (error: unknown) {
    await Promise.all(nodes.map((node) => node.kill()));
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    bootstrapServers: nodes.map((node) => node.address).join(','),
    nodes,
    node(nodeId: number): ClusterNode {
      const node = nodes[nodeId - 1];
      if (node === undefined) throw new RangeError(`no node ${nodeId} in a cluster of ${count}`);
      return node;
    },
    async close(): Promise<void> {
      await Promise.all(nodes.map((node) => node.kill()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

class InProcessNode implements ClusterNode {
  node: EddyNode | undefined;
  readonly address: string;

  constructor(
    readonly nodeId: number,
    port: number,
    readonly dataDir: string,
    private readonly quorum: string,
    private readonly options: StartClusterOptions,
  ) {
    this.address = `127.0.0.1:${port}`;
  }

  get isRunning(): boolean {
    return this.node !== undefined;
  }

  async stop(): Promise<void> {
    const node = this.node;
    this.node = undefined;
    await node?.stop();
  }

  async kill(): Promise<void> {
    const node = this.node;
    this.node = undefined;
    await node?.close();
  }

  async restart(): Promise<void> {
    if (this.node !== undefined) return;
    const settings = new Map([
      ['node.id', String(this.nodeId)],
      ['listen', this.address],
      ['data.dir', this.dataDir],
      ['controller.quorum', this.quorum],
      ...Object.entries(this.options.settings ?? {}),
    ]);
    const config = resolveNodeConfig(settings);
    const logger = createNodeLogger({ nodeId: this.nodeId, level: this.options.logLevel ?? 'silent' });
    this.node = await EddyNode.start({ config, logger });
  }
}
