import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LocalNodePlan } from './local-cluster-plan.js';

export interface NodeExit {
  readonly nodeId: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Runs the nodes of a local cluster as child processes of the same `eddy` binary, each writing
 * its log to its own file. `stop` asks every node to shut down cleanly (SIGTERM: a controlled
 * shutdown) and kills the ones still running after the grace period.
 */
export class LocalCluster {
  private readonly children = new Map<number, ChildProcess>();
  private readonly exited = new Map<number, Promise<NodeExit>>();
  private stopping = false;

  constructor(
    private readonly plan: readonly LocalNodePlan[],
    /** The command that runs `eddy`, e.g. [process.execPath, '/path/to/eddy.js']. */
    private readonly eddyCommand: readonly [string, ...string[]],
  ) {}

  /** Starts every node; `onUnexpectedExit` hears of a node that dies while not stopping. */
  start(onUnexpectedExit: (exit: NodeExit) => void): void {
    for (const node of this.plan) {
      mkdirSync(node.dataDir, { recursive: true });
      mkdirSync(dirname(node.logFile), { recursive: true });
      const log = openSync(node.logFile, 'a');
      const [command, ...prefix] = this.eddyCommand;
      const child = spawn(command, [...prefix, ...node.serverArgs], { stdio: ['ignore', log, log], env: process.env });
      closeSync(log);
      this.children.set(node.nodeId, child);
      this.exited.set(
        node.nodeId,
        new Promise<NodeExit>((resolve) => {
          child.once('exit', (code, signal) => {
            const exit = { nodeId: node.nodeId, code, signal };
            if (!this.stopping) onUnexpectedExit(exit);
            resolve(exit);
          });
        }),
      );
    }
  }

  /** Stops every node: SIGTERM, then SIGKILL for any still alive after `graceMs`. */
  async stop(graceMs: number): Promise<NodeExit[]> {
    this.stopping = true;
    for (const child of this.children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const all = Promise.all(this.exited.values());
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) for (const child of this.children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return all;
  }
}
