/**
 * The Raft simulator from the command line (VOPR-style):
 *
 *   npx tsx tools/raft-sim.ts --seeds 5000 [--start 1] [--voters 3]   many random schedules
 *   npx tsx tools/raft-sim.ts --seed 1234                              replay one, verbosely
 *
 * A failing seed prints the broken invariant and the command that replays it exactly.
 */
// Imported from source, not from the package's build, so a stale dist can never be what runs.
import { describeProfile, runSimulation, type SimulationResult } from '../packages/raft/src/testing/index.js';

interface Args {
  seed: number | undefined;
  seeds: number;
  start: number;
  voters: number | undefined;
  verbose: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { seed: undefined, seeds: 100, start: 1, voters: undefined, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): number => {
      const raw = argv[++i];
      const n = Number(raw);
      if (raw === undefined || !Number.isSafeInteger(n)) throw new Error(`${flag} needs an integer`);
      return n;
    };
    switch (flag) {
      case '--seed':
        args.seed = value();
        break;
      case '--seeds':
        args.seeds = value();
        break;
      case '--start':
        args.start = value();
        break;
      case '--voters':
        args.voters = value();
        break;
      case '--verbose':
        args.verbose = true;
        break;
      default:
        throw new Error(`unknown argument ${flag} (use --seed N, --seeds N, --start N, --voters N, --verbose)`);
    }
  }
  return args;
}

function summary(result: SimulationResult): string {
  const s = result.stats;
  return `seed ${result.seed}: ${result.ok ? 'ok' : 'FAILED'} — ${s.simulatedMs}ms simulated, ${s.events} events, ${s.leaderTerms} leader terms, commit ${s.committedIndex}, ${s.acknowledged}/${s.proposals} acked, ${s.readsServed}/${s.reads} reads, ${s.crashes} crashes (${s.tornTails} torn), ${s.snapshotsInstalled} snapshots installed, ${s.truncations} truncations, ${s.partitions} partitions, ${s.confChangesCommitted}/${s.confChanges} membership changes, ${s.transfers} transfers`;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const voters = args.voters === undefined ? {} : { voters: args.voters };
  if (args.seed !== undefined) {
    const result = await runSimulation({ seed: args.seed, ...voters, log: (line) => console.log(line) });
    console.log(describeProfile(result.profile));
    console.log(summary(result));
    if (result.failure !== undefined) console.log(`FAILED ${result.failure.invariant} at ${result.failure.atMs}ms: ${result.failure.message}`);
    return result.ok ? 0 : 1;
  }
  const started = performance.now();
  let failed = 0;
  for (let seed = args.start; seed < args.start + args.seeds; seed++) {
    const result = await runSimulation({ seed, ...voters });
    if (args.verbose) console.log(summary(result));
    if (!result.ok && result.failure !== undefined) {
      failed++;
      console.log(`seed ${seed} FAILED ${result.failure.invariant} at ${result.failure.atMs}ms: ${result.failure.message}`);
      console.log(`  reproduce with: npx tsx tools/raft-sim.ts --seed ${seed}${args.voters === undefined ? '' : ` --voters ${args.voters}`}`);
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${args.seeds - failed}/${args.seeds} seeds passed in ${seconds}s`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
