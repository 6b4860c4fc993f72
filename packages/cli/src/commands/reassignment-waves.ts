import { type Clock, EddyError, systemClock } from '@eddy/base';
import type { Admin, TopicPartition } from '@eddy/client';
import { movesData, type PlannedChange } from './balance-plan.js';

/** The admin calls applying a plan needs. */
export type WaveAdmin = Pick<Admin, 'alterPartitionReassignments' | 'listPartitionReassignments'>;

export interface WaveOptions {
  /** Partitions moving data at once; the next wave starts when the whole wave is done. */
  readonly maxConcurrentMoves: number;
  /** How long one wave may take; past it the command fails (the moves go on in the cluster). */
  readonly waveTimeoutMs: number;
  readonly report: (line: string) => void;
  readonly pollIntervalMs?: number;
  readonly clock?: Clock;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultPollIntervalMs = 500;

/**
 * Applies a plan without crippling the cluster: reorders (a new preferred leader, no data to
 * copy) all at once, then the moves that copy data in waves of at most `maxConcurrentMoves`
 * partitions, each wave finished (new replicas in sync, old ones dropped) before the next starts.
 */
export async function applyInWaves(admin: WaveAdmin, changes: readonly PlannedChange[], options: WaveOptions): Promise<void> {
  const reorders = changes.filter((change) => !movesData(change));
  if (reorders.length > 0) {
    await admin.alterPartitionReassignments(reorders.map(target));
    options.report(`Reordered the replicas of ${reorders.length} partition(s) (no data to copy)`);
    await waitForReassignments(admin, reorders, options);
  }
  const moves = changes.filter(movesData);
  const waveCount = Math.ceil(moves.length / options.maxConcurrentMoves);
  const clock = options.clock ?? systemClock;
  for (let wave = 0; wave < waveCount; wave++) {
    const batch = moves.slice(wave * options.maxConcurrentMoves, (wave + 1) * options.maxConcurrentMoves);
    const startedMs = clock.monotonicMs();
    options.report(`Wave ${wave + 1}/${waveCount}: moving ${batch.map(describeChange).join('; ')}`);
    await admin.alterPartitionReassignments(batch.map(target));
    await waitForReassignments(admin, batch, options);
    options.report(`Wave ${wave + 1}/${waveCount} done in ${((clock.monotonicMs() - startedMs) / 1000).toFixed(1)} s`);
  }
}

/**
 * Waits until no reassignment runs among `partitions` (any partition when undefined), polling
 * the controller; fails with REQUEST_TIMED_OUT after `waveTimeoutMs`.
 */
export async function waitForReassignments(admin: WaveAdmin, partitions: readonly TopicPartition[] | undefined, options: Omit<WaveOptions, 'maxConcurrentMoves' | 'report'>): Promise<void> {
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? sleepMs;
  const refs = partitions?.map((p) => ({ topic: p.topic, partition: p.partition }));
  const deadlineMs = clock.monotonicMs() + options.waveTimeoutMs;
  for (;;) {
    const ongoing = await admin.listPartitionReassignments(refs);
    if (ongoing.length === 0) return;
    if (clock.monotonicMs() >= deadlineMs) {
      const names = ongoing.map((p) => `${p.topic}-${p.partition}`);
      throw new EddyError(
        'REQUEST_TIMED_OUT',
        `reassignment of ${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''} still running after ${options.waveTimeoutMs} ms; it goes on in the cluster, run the command again to resume`,
      );
    }
    await sleep(options.pollIntervalMs ?? defaultPollIntervalMs);
  }
}

export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function describeChange(change: PlannedChange): string {
  return `${change.topic}-${change.partition} [${change.replicas.join(',')}] -> [${change.newReplicas.join(',')}]`;
}

function target(change: PlannedChange): { topic: string; partition: number; replicas: readonly number[] } {
  return { topic: change.topic, partition: change.partition, replicas: change.newReplicas };
}
