import type { Messages } from '@eddy/protocol';
import type { RaftStatus } from '@eddy/raft';

/**
 * What `eddy quorum describe` shows, built on the quorum leader from Raft's progress tracker.
 * "Caught up" means a member holds the leader's whole log; the leader samples it every tick, so
 * the lag time of a member is how long ago that was last true.
 */
export class QuorumReplicationTracker {
  private readonly lastCaughtUpMs = new Map<number, number>();

  /** Records which members hold the leader's whole log right now. */
  sample(status: RaftStatus, nowMs: number): void {
    if (status.progress === undefined) {
      this.lastCaughtUpMs.clear();
      return;
    }
    for (const [nodeId, progress] of status.progress) {
      if (progress.match >= status.lastIndex) this.lastCaughtUpMs.set(nodeId, nowMs);
    }
  }

  describe(
    status: RaftStatus,
    clusterId: string,
    nowMs: number,
    lastAnswerFrom: (nodeId: number) => number | undefined,
    endpointOf: (nodeId: number) => { host: string; port: number } | undefined,
  ): Messages['DescribeQuorumResponse'] {
    const replica = (nodeId: number): Messages['QuorumReplica'] => {
      const progress = status.progress?.get(nodeId);
      const isSelf = nodeId === status.id;
      const endpoint = endpointOf(nodeId);
      return {
        replicaId: nodeId,
        logEndIndex: BigInt(isSelf ? status.lastIndex : (progress?.match ?? 0)),
        lastFetchTimestampMs: BigInt(isSelf ? nowMs : (lastAnswerFrom(nodeId) ?? -1)),
        lastCaughtUpTimestampMs: BigInt(isSelf ? nowMs : (this.lastCaughtUpMs.get(nodeId) ?? -1)),
        host: endpoint?.host ?? '',
        port: endpoint?.port ?? 0,
      };
    };
    return {
      errorCode: 'NONE',
      errorMessage: '',
      clusterId,
      leaderId: status.leaderId ?? -1,
      term: BigInt(status.term),
      commitIndex: BigInt(status.commit),
      voters: status.membership.voters.map(replica),
      observers: status.membership.observers.map(replica),
    };
  }
}
