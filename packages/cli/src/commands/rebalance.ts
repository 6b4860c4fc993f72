import type { Command } from 'commander';
import { type ClientFlags, clientCommand, print, withAdmin } from '../client-options.js';
import { formatJson, formatTable } from '../output/table.js';
import { addedReplicas, type BalancePlan, isBalanced, movesData, planRebalance } from './balance-plan.js';
import { readClusterLayout } from './cluster-layout.js';
import { applyInWaves, waitForReassignments } from './reassignment-waves.js';
import { parseWaveFlags, type WaveFlags, waveOptions } from './wave-flags.js';

interface RebalanceFlags extends ClientFlags, WaveFlags {
  readonly execute?: boolean;
}

export function registerRebalanceCommand(program: Command): void {
  waveOptions(
    clientCommand(program.command('rebalance').description('even out replicas and leaders over the live brokers (prints the plan; --execute applies it)'), { json: true }),
  )
    .option('--execute', 'apply the plan in bounded waves, then elect preferred leaders')
    .action(async (flags: RebalanceFlags) => {
      const json = flags.json === true;
      const waves = parseWaveFlags(flags, json ? () => undefined : print);
      await withAdmin(flags, async (admin) => {
        const ongoing = (await admin.listPartitionReassignments()).length;
        if (ongoing > 0 && flags.execute === true) {
          waves.report('Waiting for the reassignments in progress to finish first');
          await waitForReassignments(admin, undefined, waves);
        } else if (ongoing > 0) {
          waves.report(`${ongoing} reassignment(s) in progress: this plan assumes they complete`);
        }
        const layout = await readClusterLayout(admin);
        const plan = planRebalance(layout.partitions, layout.eligible);
        if (json) print(formatJson(planJson(plan, flags.execute === true)));
        else print(formatPlan(plan, waves.maxConcurrentMoves));
        if (isBalanced(plan)) {
          if (!json) print('The cluster is balanced: nothing to move.');
          return;
        }
        if (flags.execute !== true) {
          if (!json) print('Nothing changed. Run again with --execute to apply this plan.');
          return;
        }
        await applyInWaves(admin, plan.changes, waves);
        const elections = await admin.electLeaders({ type: 'preferred' });
        const failed = elections.filter((result) => result.error !== undefined);
        waves.report(
          `Rebalance complete: ${describeMoves(plan)}, preferred leaders elected` +
            (failed.length > 0 ? ` (${failed.length} partition(s) kept their leader: ${failed[0]?.error?.message ?? ''})` : ''),
        );
      });
    });
}

function formatPlan(plan: BalancePlan, maxConcurrentMoves: number): string {
  const brokers = formatTable(
    ['BROKER', 'RACK', 'REPLICAS', 'LEADERS', 'PLANNED-REPLICAS', 'PLANNED-LEADERS'],
    plan.before.map((load, i) => [load.brokerId, load.rack, load.replicas, load.leaders, plan.after[i]?.replicas, plan.after[i]?.leaders]),
  );
  if (plan.changes.length === 0) return brokers;
  const changes = formatTable(
    ['TOPIC', 'PARTITION', 'REPLICAS', 'NEW-REPLICAS', 'CHANGE'],
    plan.changes.map((change) => [change.topic, change.partition, change.replicas.join(','), change.newReplicas.join(','), movesData(change) ? 'move' : 'leader']),
  );
  const waveCount = Math.ceil(plan.changes.filter(movesData).length / maxConcurrentMoves);
  const summary = `Plan: ${describeMoves(plan)}, ${plan.leaderElections} leader election(s); moves run in ${waveCount} wave(s) of at most ${maxConcurrentMoves} partitions.`;
  return `${brokers}\n${changes}\n${summary}`;
}

function describeMoves(plan: BalancePlan): string {
  const moving = plan.changes.filter(movesData);
  const replicas = moving.reduce((sum, change) => sum + addedReplicas(change).length, 0);
  return `${replicas} replica move(s) in ${moving.length} partition(s), ${plan.changes.length - moving.length} preferred-leader change(s)`;
}

function planJson(plan: BalancePlan, executed: boolean): unknown {
  return {
    balanced: isBalanced(plan),
    executed: executed && !isBalanced(plan),
    brokers: plan.before.map((load, i) => ({ ...load, plannedReplicas: plan.after[i]?.replicas, plannedLeaders: plan.after[i]?.leaders })),
    changes: plan.changes.map((change) => ({ ...change, movesData: movesData(change) })),
    leaderElections: plan.leaderElections,
  };
}
