import { describe, expect, it } from 'vitest';
import { runSimulation, type SimulationResult } from './testing/run-simulation.js';

/**
 * The seeded simulator over the real core and driver (see testing/run-simulation.ts). CI runs
 * a fixed range of seeds, so a failure is reproducible by number; EDDY_SIM_SEEDS raises the
 * count per cluster size and EDDY_SIM_SEED_START moves the range to explore new schedules.
 */
const seedsPerSize = Number(process.env['EDDY_SIM_SEEDS'] ?? 500);
const seedStart = Number(process.env['EDDY_SIM_SEED_START'] ?? 1);

function describeFailure(result: SimulationResult, voters: number): string {
  const failure = result.failure;
  return `seed ${result.seed} (${voters} voters) broke ${failure?.invariant} at ${failure?.atMs}ms: ${failure?.message}\n  reproduce with: npx tsx tools/raft-sim.ts --seed ${result.seed} --voters ${voters}`;
}

describe('raft simulation', () => {
  for (const voters of [1, 2, 3, 4, 5]) {
    it(`keeps every invariant and makes progress after healing, ${voters} voter(s), ${seedsPerSize} schedules`, async () => {
      const failures: string[] = [];
      for (let seed = seedStart; seed < seedStart + seedsPerSize && failures.length < 3; seed++) {
        const result = await runSimulation({ seed, voters });
        if (!result.ok) failures.push(describeFailure(result, voters));
      }
      expect(failures, failures.join('\n')).toEqual([]);
    });
  }

  it('replays a seed exactly', async () => {
    const traces: string[][] = [[], []];
    const results = [];
    for (const trace of traces) results.push(await runSimulation({ seed: 4242, voters: 5, log: (line) => trace.push(line) }));
    expect(traces[0]?.length).toBeGreaterThan(20);
    expect(traces[1]).toEqual(traces[0]);
    expect(results[1]?.stats).toEqual(results[0]?.stats);
  });
});
