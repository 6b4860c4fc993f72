import { EddyError } from '@eddy/base';
import { raftLimits } from './limits.js';

/**
 * How one Raft node behaves. Time is counted in ticks only: the driver calls `tick()` at a fixed
 * interval (100 ms in the broker), so these settings never depend on a clock.
 */
export interface RaftConfig {
  /**
   * A follower that hears nothing from a leader for a random number of ticks in
   * [electionTimeoutTicks, 2 * electionTimeoutTicks) starts an election. A check-quorum leader
   * steps down when a majority has been silent for electionTimeoutTicks.
   */
  readonly electionTimeoutTicks: number;
  /** A leader sends a heartbeat (carrying its commit index) every heartbeatTicks. */
  readonly heartbeatTicks: number;
  /** Ask for votes without bumping the term first, so a rejoining node cannot disrupt a leader. */
  readonly preVote: boolean;
  /** Leaders step down without a majority's contact; followers honour a live leader's lease. */
  readonly checkQuorum: boolean;
  readonly appendEntriesMax: number;
  readonly appendBytesMax: number;
  readonly inflightAppendsMax: number;
  readonly inflightBytesMax: number;
  readonly proposalBytesMax: number;
  readonly uncommittedBytesMax: number;
  readonly applyBytesMax: number;
  readonly snapshotChunkBytes: number;
  readonly readIndexPendingMax: number;
  /**
   * Entries a leader keeps beyond its latest snapshot for live followers that still need them
   * (one just installed an older snapshot, or lags a little); a follower further behind gets
   * a snapshot instead.
   */
  readonly catchUpEntriesMax: number;
}

export type RaftConfigInput = { readonly [K in keyof RaftConfig]?: RaftConfig[K] | undefined };

export const defaultRaftConfig: RaftConfig = {
  electionTimeoutTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  appendEntriesMax: 1024,
  appendBytesMax: 1024 * 1024,
  inflightAppendsMax: 256,
  inflightBytesMax: 32 * 1024 * 1024,
  proposalBytesMax: 1024 * 1024,
  uncommittedBytesMax: 32 * 1024 * 1024,
  applyBytesMax: 4 * 1024 * 1024,
  snapshotChunkBytes: 1024 * 1024,
  readIndexPendingMax: 1024,
  catchUpEntriesMax: 10_000,
};

/** Fills defaults and checks every setting against raftLimits and the others (INVALID_CONFIG). */
export function raftConfig(input: RaftConfigInput = {}): RaftConfig {
  const config: RaftConfig = {
    electionTimeoutTicks: input.electionTimeoutTicks ?? defaultRaftConfig.electionTimeoutTicks,
    heartbeatTicks: input.heartbeatTicks ?? defaultRaftConfig.heartbeatTicks,
    preVote: input.preVote ?? defaultRaftConfig.preVote,
    checkQuorum: input.checkQuorum ?? defaultRaftConfig.checkQuorum,
    appendEntriesMax: input.appendEntriesMax ?? defaultRaftConfig.appendEntriesMax,
    appendBytesMax: input.appendBytesMax ?? defaultRaftConfig.appendBytesMax,
    inflightAppendsMax: input.inflightAppendsMax ?? defaultRaftConfig.inflightAppendsMax,
    inflightBytesMax: input.inflightBytesMax ?? defaultRaftConfig.inflightBytesMax,
    proposalBytesMax: input.proposalBytesMax ?? defaultRaftConfig.proposalBytesMax,
    uncommittedBytesMax: input.uncommittedBytesMax ?? defaultRaftConfig.uncommittedBytesMax,
    applyBytesMax: input.applyBytesMax ?? defaultRaftConfig.applyBytesMax,
    snapshotChunkBytes: input.snapshotChunkBytes ?? defaultRaftConfig.snapshotChunkBytes,
    readIndexPendingMax: input.readIndexPendingMax ?? defaultRaftConfig.readIndexPendingMax,
    catchUpEntriesMax: input.catchUpEntriesMax ?? defaultRaftConfig.catchUpEntriesMax,
  };
  const l = raftLimits;
  within('electionTimeoutTicks', config.electionTimeoutTicks, l.electionTimeoutTicksMin, l.electionTimeoutTicksMax);
  within('heartbeatTicks', config.heartbeatTicks, l.heartbeatTicksMin, l.electionTimeoutTicksMax);
  within('appendEntriesMax', config.appendEntriesMax, 1, l.appendEntriesMax);
  within('appendBytesMax', config.appendBytesMax, 1, l.appendBytesMax);
  within('inflightAppendsMax', config.inflightAppendsMax, 1, l.inflightAppendsMax);
  within('inflightBytesMax', config.inflightBytesMax, 1, l.inflightBytesMax);
  within('proposalBytesMax', config.proposalBytesMax, 1, l.proposalBytesMax);
  within('uncommittedBytesMax', config.uncommittedBytesMax, 1, l.uncommittedBytesMax);
  within('applyBytesMax', config.applyBytesMax, 1, l.applyBytesMax);
  within('snapshotChunkBytes', config.snapshotChunkBytes, 1, l.snapshotChunkBytesMax);
  within('readIndexPendingMax', config.readIndexPendingMax, 1, l.readIndexPendingMax);
  within('catchUpEntriesMax', config.catchUpEntriesMax, 0, l.catchUpEntriesMax);
  // Followers must hear several heartbeats per election timeout, or one lost heartbeat
  // starts an election.
  relation(config.electionTimeoutTicks >= 2 * config.heartbeatTicks, 'electionTimeoutTicks must be at least 2 * heartbeatTicks');
  relation(config.inflightBytesMax >= config.appendBytesMax, 'inflightBytesMax must hold one full append (appendBytesMax)');
  relation(config.uncommittedBytesMax >= config.proposalBytesMax, 'uncommittedBytesMax must hold the largest proposal');
  relation(config.applyBytesMax >= 1, 'applyBytesMax must be positive');
  return config;
}

function within(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new EddyError('INVALID_CONFIG', `raft ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

function relation(holds: boolean, message: string): void {
  if (!holds) throw new EddyError('INVALID_CONFIG', `raft config: ${message}`);
}
