import { describe, expect, it } from 'vitest';
import { defaultRaftConfig, raftConfig } from './config.js';
import { raftLimits } from './limits.js';

describe('raftConfig', () => {
  it('fills defaults', () => {
    expect(raftConfig()).toEqual(defaultRaftConfig);
    expect(raftConfig({ electionTimeoutTicks: 20, heartbeatTicks: undefined }).heartbeatTicks).toBe(defaultRaftConfig.heartbeatTicks);
  });

  it('rejects settings outside the limits with INVALID_CONFIG', () => {
    expect(() => raftConfig({ electionTimeoutTicks: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }) as Error);
    expect(() => raftConfig({ appendBytesMax: raftLimits.appendBytesMax + 1 })).toThrow(/appendBytesMax/);
    expect(() => raftConfig({ snapshotChunkBytes: 0 })).toThrow(/snapshotChunkBytes/);
    expect(() => raftConfig({ heartbeatTicks: 1.5 })).toThrow(/heartbeatTicks/);
  });

  it('rejects settings that contradict each other', () => {
    expect(() => raftConfig({ electionTimeoutTicks: 10, heartbeatTicks: 6 })).toThrow(/2 \* heartbeatTicks/);
    expect(() => raftConfig({ appendBytesMax: 1000, inflightBytesMax: 999 })).toThrow(/inflightBytesMax/);
    expect(() => raftConfig({ proposalBytesMax: 100, uncommittedBytesMax: 99 })).toThrow(/uncommittedBytesMax/);
  });
});
