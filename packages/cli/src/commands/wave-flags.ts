import type { Command } from 'commander';
import { integerFlag } from '../client-options.js';
import type { WaveOptions } from './reassignment-waves.js';

/** Flags of the commands that move replicas in waves (`rebalance`, `brokers decommission`). */
export interface WaveFlags {
  readonly maxConcurrentMoves: string;
  readonly waveTimeoutMs: string;
}

/** Few enough partitions copying at once that clients keep their latency while the cluster moves data. */
const defaultMaxConcurrentMoves = 5;
const defaultWaveTimeoutMs = 600_000;

export function waveOptions(command: Command): Command {
  return command
    .option('--max-concurrent-moves <count>', 'partitions moving data at once; each wave completes before the next starts', String(defaultMaxConcurrentMoves))
    .option('--wave-timeout-ms <ms>', 'how long one wave of moves may take', String(defaultWaveTimeoutMs));
}

export function parseWaveFlags(flags: WaveFlags, report: (line: string) => void): WaveOptions {
  return {
    maxConcurrentMoves: integerFlag('--max-concurrent-moves', flags.maxConcurrentMoves, 1),
    waveTimeoutMs: integerFlag('--wave-timeout-ms', flags.waveTimeoutMs, 1),
    report,
  };
}
