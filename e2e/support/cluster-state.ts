import type { EddyRunner } from './eddy-cluster.js';
import { waitFor } from './wait.js';

/** A partition as `eddy topics describe --json` prints it. */
export interface DescribedPartition {
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: number[];
  readonly isr: number[];
  readonly state: string;
}

interface DescribedTopic {
  readonly topic: { readonly topic: string; readonly partitions: DescribedPartition[] };
  readonly configs: string;
}

interface ListedBroker {
  readonly id: number;
  readonly state: string;
}

/** The partitions of `topic` per `eddy topics describe --json`, undefined when the command fails. */
export async function describePartitions(cluster: EddyRunner, topic: string): Promise<DescribedPartition[] | undefined> {
  const result = await cluster.eddy(['topics', 'describe', '--topic', topic, '--json'], { timeoutMs: 15_000 });
  if (result.code !== 0) return undefined;
  const [described] = JSON.parse(result.stdout) as DescribedTopic[];
  return described?.topic.partitions;
}

/** Waits until `count` brokers are registered and running (unfenced), per `eddy brokers list --json`. */
export async function waitForRunningBrokers(cluster: EddyRunner, count: number, timeoutMs = 30_000): Promise<number[]> {
  return waitFor(
    `${count} running brokers`,
    async () => {
      const result = await cluster.eddy(['brokers', 'list', '--json'], { timeoutMs: 15_000 });
      if (result.code !== 0) return undefined;
      const running = (JSON.parse(result.stdout) as ListedBroker[]).filter((broker) => broker.state === 'running').map((broker) => broker.id);
      return running.length === count ? running : undefined;
    },
    timeoutMs,
    200,
  );
}

/** Runs `eddy args...` until it succeeds (the cluster may still be electing), returning its stdout. */
export async function eddyUntilOk(cluster: EddyRunner, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  const result = await waitFor(
    `eddy ${args.join(' ')}`,
    async () => {
      const run = await cluster.eddy(args, { timeoutMs: 15_000 });
      if (run.code !== 0) throw new Error(run.stderr.trim());
      return run;
    },
    timeoutMs,
    200,
  );
  return result.stdout;
}
