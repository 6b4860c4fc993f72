import type { QuorumDescription, QuorumReplicaDescription } from '@eddy/client';
import type { Command } from 'commander';
import { type ClientFlags, clientCommand, integerFlag, print, withAdmin } from '../client-options.js';
import { formatJson, formatTable } from '../output/table.js';

interface DescribeFlags extends ClientFlags {
  readonly status?: boolean;
  readonly replication?: boolean;
}

export function registerQuorumCommands(program: Command): void {
  const quorum = program.command('quorum').description('the metadata quorum (KRaft-style controllers)');
  clientCommand(quorum.command('describe').description('show the quorum leader, its commit point and each member\'s lag'), { json: true })
    .option('--status', 'the leader, high watermark and members (the default)')
    .option('--replication', 'one row per member: log end offset, lag, last fetch and last caught-up times')
    .action(async (flags: DescribeFlags) => {
      const description = await withAdmin(flags, (admin) => admin.describeQuorum());
      if (flags.json === true) return print(formatJson(flags.replication === true ? replicationRows(description) : statusOf(description)));
      print(flags.replication === true ? formatReplication(description) : formatStatus(description));
    });
  for (const [name, verb] of [
    ['add-voter', 'add'],
    ['remove-voter', 'remove'],
  ] as const) {
    clientCommand(quorum.command(name).description(`${verb} a voter of the metadata quorum (one change at a time)`))
      .requiredOption('--node-id <id>', 'the node to promote to voter (it must be running) or to demote')
      .action(async (flags: ClientFlags & { readonly nodeId: string }) => {
        const nodeId = integerFlag('--node-id', flags.nodeId, 1);
        await withAdmin(flags, (admin) => (verb === 'add' ? admin.addVoter(nodeId) : admin.removeVoter(nodeId)));
        print(`${verb === 'add' ? 'Added' : 'Removed'} voter ${nodeId}.`);
      });
  }
}

interface QuorumStatus {
  readonly clusterId: string;
  readonly leaderId: number;
  readonly leaderEpoch: bigint;
  readonly highWatermark: bigint;
  readonly maxFollowerLag: bigint;
  readonly maxFollowerLagTimeMs: number;
  readonly currentVoters: readonly number[];
  readonly currentObservers: readonly number[];
}

function leaderOf(description: QuorumDescription): QuorumReplicaDescription | undefined {
  return description.voters.find((voter) => voter.replicaId === description.leaderId);
}

/** Kafka's kafka-metadata-quorum --status figures. */
export function statusOf(description: QuorumDescription): QuorumStatus {
  const leader = leaderOf(description);
  const followers = [...description.voters, ...description.observers].filter((replica) => replica.replicaId !== description.leaderId);
  const leaderEnd = leader?.logEndIndex ?? description.commitIndex;
  const leaderCaughtUp = leader?.lastCaughtUpTimestampMs ?? 0;
  return {
    clusterId: description.clusterId,
    leaderId: description.leaderId,
    leaderEpoch: description.term,
    highWatermark: description.commitIndex,
    maxFollowerLag: followers.reduce((max, f) => (leaderEnd - f.logEndIndex > max ? leaderEnd - f.logEndIndex : max), 0n),
    maxFollowerLagTimeMs: followers.reduce((max, f) => Math.max(max, f.lastCaughtUpTimestampMs < 0 ? leaderCaughtUp : leaderCaughtUp - f.lastCaughtUpTimestampMs), 0),
    currentVoters: description.voters.map((voter) => voter.replicaId),
    currentObservers: description.observers.map((observer) => observer.replicaId),
  };
}

export function formatStatus(description: QuorumDescription): string {
  const status = statusOf(description);
  const lines: Array<[string, string]> = [
    ['ClusterId:', status.clusterId],
    ['LeaderId:', String(status.leaderId)],
    ['LeaderEpoch:', String(status.leaderEpoch)],
    ['HighWatermark:', String(status.highWatermark)],
    ['MaxFollowerLag:', String(status.maxFollowerLag)],
    ['MaxFollowerLagTimeMs:', String(status.maxFollowerLagTimeMs)],
    ['CurrentVoters:', `[${status.currentVoters.join(',')}]`],
    ['CurrentObservers:', `[${status.currentObservers.join(',')}]`],
  ];
  return lines.map(([label, value]) => `${label.padEnd(24)}${value}`).join('\n') + '\n';
}

interface ReplicationRow {
  readonly nodeId: number;
  readonly logEndOffset: bigint;
  readonly lag: bigint;
  readonly lastFetchTimestamp: number;
  readonly lastCaughtUpTimestamp: number;
  readonly status: 'Leader' | 'Follower' | 'Observer';
}

export function replicationRows(description: QuorumDescription): ReplicationRow[] {
  const leaderEnd = leaderOf(description)?.logEndIndex ?? description.commitIndex;
  const row = (replica: QuorumReplicaDescription, isVoter: boolean): ReplicationRow => ({
    nodeId: replica.replicaId,
    logEndOffset: replica.logEndIndex,
    lag: leaderEnd > replica.logEndIndex ? leaderEnd - replica.logEndIndex : 0n,
    lastFetchTimestamp: replica.lastFetchTimestampMs,
    lastCaughtUpTimestamp: replica.lastCaughtUpTimestampMs,
    status: replica.replicaId === description.leaderId ? 'Leader' : isVoter ? 'Follower' : 'Observer',
  });
  const rows = [...description.voters.map((v) => row(v, true)), ...description.observers.map((o) => row(o, false))];
  const order = { Leader: 0, Follower: 1, Observer: 2 } as const;
  return rows.sort((a, b) => order[a.status] - order[b.status] || a.nodeId - b.nodeId);
}

function formatReplication(description: QuorumDescription): string {
  return formatTable(
    ['NodeId', 'LogEndOffset', 'Lag', 'LastFetchTimestamp', 'LastCaughtUpTimestamp', 'Status'],
    replicationRows(description).map((row) => [row.nodeId, row.logEndOffset, row.lag, row.lastFetchTimestamp, row.lastCaughtUpTimestamp, row.status]),
  );
}
