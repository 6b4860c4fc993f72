import { EddyError } from '@eddy/base';
import { Eddy } from '@eddy/client';
import type { Command } from 'commander';
import { integerFlag, print } from '../client-options.js';
import { LocalCluster, type NodeExit } from '../cluster/local-cluster.js';
import { type LocalNodePlan, planLocalCluster } from '../cluster/local-cluster-plan.js';

interface StartFlags {
  readonly brokers: string;
  readonly dataDir: string;
  readonly basePort: string;
  readonly readyTimeoutMs: string;
}

const STOP_GRACE_MS = 15_000;
const READY_POLL_MS = 200;

export function registerClusterCommands(program: Command): void {
  const cluster = program.command('cluster').description('run a local cluster for development');
  cluster
    .command('start')
    .description('start N nodes of this binary as child processes and keep them running until Ctrl-C')
    .option('--brokers <count>', 'number of nodes (the first five vote in the metadata quorum)', '3')
    .option('--data-dir <dir>', 'where the nodes keep their data and logs; reused on the next start', './eddy-data')
    .option('--base-port <port>', 'node i listens on base-port + i - 1', '9092')
    .option('--ready-timeout-ms <ms>', 'give up if the cluster is not ready by then', '60000')
    .action(async (flags: StartFlags) => {
      const plan = planLocalCluster({
        brokers: integerFlag('--brokers', flags.brokers, 1),
        dataDir: flags.dataDir,
        basePort: integerFlag('--base-port', flags.basePort, 1),
        host: '127.0.0.1',
      });
      await runLocalCluster(plan, integerFlag('--ready-timeout-ms', flags.readyTimeoutMs, 1));
    });
}

/** The command that started this process, so children run the very same eddy. */
function thisEddy(): [string, ...string[]] {
  const script = process.argv[1];
  return script === undefined ? [process.execPath] : [process.execPath, script];
}

async function runLocalCluster(plan: readonly LocalNodePlan[], readyTimeoutMs: number): Promise<void> {
  // Signals are handled before any node is spawned, so Ctrl-C at any moment stops them all.
  let interruptedBy: NodeJS.Signals | undefined;
  const interrupted = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      interruptedBy = signal;
      resolve(signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  const cluster = new LocalCluster(plan, thisEddy());
  let failed: NodeExit | undefined;
  let wakeOnFailure: () => void = () => undefined;
  const failure = new Promise<void>((resolve) => (wakeOnFailure = resolve));
  cluster.start((exit) => {
    failed = exit;
    wakeOnFailure();
  });
  const bootstrap = plan.map((node) => node.listen).join(',');
  try {
    // Ctrl-C during start-up stops the readiness polling too, so the process can exit.
    const ready = waitUntilReady(plan, readyTimeoutMs, () => failed !== undefined || interruptedBy !== undefined);
    const first = await Promise.race([ready.then(() => 'ready' as const), failure.then(() => 'failed' as const), interrupted.then(() => 'interrupted' as const)]);
    if (first === 'failed') throw nodeFailure(failed, plan);
    if (first === 'ready' && interruptedBy === undefined) await runUntilStopped(plan, bootstrap, failure.then(() => nodeFailure(failed, plan)), interrupted);
  } finally {
    await cluster.stop(STOP_GRACE_MS);
  }
  print('Stopped every node.');
}

/** Announces the running cluster and waits for Ctrl-C (or fails when a node dies). */
async function runUntilStopped(plan: readonly LocalNodePlan[], bootstrap: string, failure: Promise<EddyError>, interrupted: Promise<NodeJS.Signals>): Promise<void> {
  print(
    [
      `Eddy cluster of ${plan.length} node${plan.length === 1 ? '' : 's'} is up.`,
      `Bootstrap servers: ${bootstrap}`,
      `Logs: ${plan.map((node) => node.logFile).join(', ')}`,
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );
  const next = await Promise.race([failure, interrupted.then(() => undefined)]);
  if (next !== undefined) throw next;
}

function nodeFailure(exit: NodeExit | undefined, plan: readonly LocalNodePlan[]): EddyError {
  const node = plan.find((candidate) => candidate.nodeId === exit?.nodeId);
  const how = exit?.signal === null || exit?.signal === undefined ? `exit code ${exit?.code}` : `signal ${exit.signal}`;
  return new EddyError('BROKER_NOT_AVAILABLE', `node ${exit?.nodeId} stopped unexpectedly (${how}); see ${node?.logFile ?? 'its log'}`);
}

/** Waits until the quorum has a leader and every node is registered and unfenced. */
async function waitUntilReady(plan: readonly LocalNodePlan[], timeoutMs: number, gaveUp: () => boolean): Promise<void> {
  const eddy = new Eddy({ bootstrapServers: plan.map((node) => node.listen), clientId: 'eddy-cluster-start' });
  const admin = eddy.admin();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (gaveUp()) return;
      const cluster = await admin.describeCluster().catch(() => undefined);
      const running = cluster?.brokers.filter((broker) => !broker.isFenced).length ?? 0;
      if (cluster !== undefined && cluster.controller >= 0 && running >= plan.length) return;
      if (Date.now() > deadline) {
        throw new EddyError('REQUEST_TIMED_OUT', `the cluster was not ready after ${timeoutMs} ms (${running} of ${plan.length} brokers running); see ${plan[0]?.logFile ?? 'the node logs'}`);
      }
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
  } finally {
    await admin.close();
    await eddy.close();
  }
}

