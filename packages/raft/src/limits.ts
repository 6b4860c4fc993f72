import { assert } from '@eddy/base';

/**
 * Every bound of the Raft package in one place. A RaftConfig may lower most of them (tests use
 * tiny values to exercise batching, chunking and backpressure) but never raise them. Relations
 * are asserted below so a change that breaks one fails at import time.
 */
export const raftLimits = {
  /** Below this an election timeout cannot hold a heartbeat round trip plus jitter. */
  electionTimeoutTicksMin: 2,
  electionTimeoutTicksMax: 10_000,
  heartbeatTicksMin: 1,
  /** Entries carried by one append request (a batch); at least one entry is always sent. */
  appendEntriesMax: 4096,
  /** Bytes of entry data carried by one append request (a single larger entry still goes). */
  appendBytesMax: 4 * 1024 * 1024,
  /** Append requests in flight per follower in the replicate state (pipelining depth). */
  inflightAppendsMax: 1024,
  /** Bytes of entry data in flight per follower. */
  inflightBytesMax: 64 * 1024 * 1024,
  /** The largest proposal accepted. */
  proposalBytesMax: 4 * 1024 * 1024,
  /** Bytes of proposed but uncommitted entry data a leader accepts before refusing proposals. */
  uncommittedBytesMax: 64 * 1024 * 1024,
  /** Bytes of committed entries handed to the application in one Ready. */
  applyBytesMax: 16 * 1024 * 1024,
  /** Bytes of snapshot data in one InstallSnapshot chunk. */
  snapshotChunkBytesMax: 4 * 1024 * 1024,
  /** The largest snapshot a node sends or accepts (the metadata image is far smaller). */
  snapshotBytesMax: 1024 * 1024 * 1024,
  /** ReadIndex requests queued at a leader (each waits for one quorum round). */
  readIndexPendingMax: 4096,
  /** Entries a leader may keep in memory beyond its snapshot for followers catching up. */
  catchUpEntriesMax: 1_000_000,
  /** Voters plus observers in one membership. */
  membersMax: 1024,
  /** Node ids are positive u32 values so they map onto protobuf uint32 fields. */
  nodeIdMax: 0xffff_ffff,
} as const;

assert(raftLimits.electionTimeoutTicksMin > raftLimits.heartbeatTicksMin, 'an election timeout spans more than one heartbeat');
assert(raftLimits.electionTimeoutTicksMin <= raftLimits.electionTimeoutTicksMax, 'election timeout bounds are ordered');
assert(raftLimits.appendEntriesMax >= 1, 'an append carries at least one entry');
assert(raftLimits.inflightAppendsMax >= 1, 'at least one append may be in flight');
assert(raftLimits.inflightBytesMax >= raftLimits.appendBytesMax, 'a full append fits in the inflight byte budget');
assert(raftLimits.appendBytesMax >= raftLimits.proposalBytesMax, 'the largest proposal fits in one append');
assert(raftLimits.uncommittedBytesMax >= raftLimits.proposalBytesMax, 'the largest proposal fits in the uncommitted budget');
assert(raftLimits.applyBytesMax >= raftLimits.proposalBytesMax, 'the largest entry fits in one apply batch');
assert(raftLimits.snapshotChunkBytesMax >= 1, 'a chunk carries data');
assert(raftLimits.snapshotChunkBytesMax <= raftLimits.snapshotBytesMax, 'a chunk is part of a snapshot');
assert(raftLimits.snapshotBytesMax <= 2 ** 31 - 1, 'snapshot offsets fit an int32 field');
assert(raftLimits.membersMax >= 1, 'a membership holds at least one voter');
