import { type Clock, EddyError, systemClock } from '@eddy/base';
import type { Admin } from '@eddy/client';
import { planDecommission } from './balance-plan.js';
import { readClusterLayout } from './cluster-layout.js';
import { applyInWaves, sleepMs, waitForReassignments, type WaveAdmin, type WaveOptions } from './reassignment-waves.js';

/** The admin calls a decommission needs. */
export type DecommissionAdmin = WaveAdmin & Pick<Admin, 'describeQuorum' | 'describeCluster' | 'describeTopics' | 'unregisterBroker'>;

export interface DecommissionOptions extends WaveOptions {
  /** How long to wait for the broker's process to stop once it holds nothing. */
  readonly shutdownTimeoutMs: number;
}

/**
 * Replicas may land on the broker while it drains (a topic created meanwhile): drain again, a
 * bounded number of times, until the controller agrees it holds nothing.
 */
const drainRoundsMax = 5;
const stopPollIntervalMs = 500;

/**
 * `eddy brokers decommission`: moves every replica off the broker in bounded waves (its
 * leaderships leave with them), waits for its process to stop (a running broker registers
 * again with its next heartbeat, as in Kafka), then unregisters it. Every step starts from the
 * cluster's state, so running it again after an interruption resumes where it stopped.
 */
export async function decommissionBroker(admin: DecommissionAdmin, brokerId: number, options: DecommissionOptions): Promise<void> {
  const { voters } = await admin.describeQuorum();
  if (voters.some((voter) => voter.replicaId === brokerId)) {
    throw new EddyError('INVALID_REQUEST', `broker ${brokerId} is a controller voter; remove it from the quorum first (eddy quorum remove-voter --node-id ${brokerId})`);
  }
  let moved = 0;
  for (let round = 1; round <= drainRoundsMax; round++) {
    moved += await drain(admin, brokerId, options);
    await waitUntilStopped(admin, brokerId, options);
    try {
      await admin.unregisterBroker(brokerId);
      options.report(`Broker ${brokerId} decommissioned: ${moved} replica(s) moved off it, and it is unregistered from the cluster`);
      return;
    } catch (error: unknown) {
      // The controller refuses while the broker still holds replicas: they arrived meanwhile.
      if (!(error instanceof EddyError) || error.code !== 'INVALID_REQUEST' || round === drainRoundsMax) throw error;
      options.report(`Broker ${brokerId} was given new replicas meanwhile (${error.message}); draining again`);
    }
  }
}

/** Moves every replica off the broker; returns how many moved. */
async function drain(admin: DecommissionAdmin, brokerId: number, options: DecommissionOptions): Promise<number> {
  if ((await admin.listPartitionReassignments()).length > 0) {
    options.report('Waiting for the reassignments in progress to finish first');
    await waitForReassignments(admin, undefined, options);
  }
  const layout = await readClusterLayout(admin);
  if (!layout.brokers.some((broker) => broker.brokerId === brokerId)) throw new EddyError('BROKER_ID_NOT_REGISTERED', `broker ${brokerId} is not registered`);
  const plan = planDecommission(layout.partitions, layout.eligible, brokerId);
  if (plan.changes.length > 0) {
    options.report(`Moving ${plan.changes.length} replica(s) off broker ${brokerId}, at most ${options.maxConcurrentMoves} at a time`);
    await applyInWaves(admin, plan.changes, options);
  }
  options.report(`Broker ${brokerId} holds no replicas and leads no partition`);
  return plan.changes.length;
}

async function waitUntilStopped(admin: DecommissionAdmin, brokerId: number, options: DecommissionOptions): Promise<void> {
  const clock: Clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? sleepMs;
  const deadlineMs = clock.monotonicMs() + options.shutdownTimeoutMs;
  let told = false;
  for (;;) {
    const broker = (await admin.describeCluster({ includeFencedBrokers: true })).brokers.find((b) => b.brokerId === brokerId);
    if (broker === undefined || broker.isFenced) return;
    if (!told) options.report(`Broker ${brokerId} is still running: stop its process to finish (waiting up to ${Math.round(options.shutdownTimeoutMs / 1000)} s)`);
    told = true;
    if (clock.monotonicMs() >= deadlineMs) {
      throw new EddyError('REQUEST_TIMED_OUT', `broker ${brokerId} holds nothing but is still running after ${options.shutdownTimeoutMs} ms; stop it and run the command again`);
    }
    await sleep(stopPollIntervalMs);
  }
}
