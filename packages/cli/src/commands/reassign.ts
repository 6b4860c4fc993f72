import { EddyError, Prng } from '@eddy/base';
import type { Admin, PartitionReassignment, TopicDescription } from '@eddy/client';
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { type ClientFlags, clientCommand, integerFlag, print, withAdmin } from '../client-options.js';
import { formatReassignment, type PartitionReplicas, parseReassignment, parseTopicsToMove } from './reassignment-json.js';
import { currentAssignment, parseBrokerList, proposeReassignment, type TopicAssignment } from './reassignment-plan.js';

interface GenerateFlags extends ClientFlags {
  readonly topicsToMoveJsonFile: string;
  readonly brokerList: string;
}

interface ExecuteFlags extends ClientFlags {
  readonly reassignmentJsonFile: string;
  readonly throttle?: string;
}

export function registerReassignCommands(program: Command): void {
  const reassign = program.command('reassign').description('move partition replicas between brokers (Kafka\'s kafka-reassign-partitions)');

  clientCommand(reassign.command('generate').description('propose a placement of the given topics over the given brokers (changes nothing)'))
    .requiredOption('--topics-to-move-json-file <file>', 'JSON: {"version":1,"topics":[{"topic":"t"}]}')
    .requiredOption('--broker-list <ids>', 'the brokers to place the replicas on, e.g. 1,2,3')
    .action(async (flags: GenerateFlags) => {
      const topics = parseTopicsToMove(await readFile(flags.topicsToMoveJsonFile, 'utf8'), flags.topicsToMoveJsonFile);
      const brokerIds = parseBrokerList(flags.brokerList);
      const { assignments, brokers } = await withAdmin(flags, async (admin) => ({
        assignments: (await admin.describeTopics(topics)).map(assignmentOf),
        brokers: (await admin.describeCluster()).brokers,
      }));
      const placementBrokers = brokerIds.map((brokerId) => {
        const broker = brokers.find((b) => b.brokerId === brokerId);
        if (broker === undefined) throw new EddyError('INVALID_REQUEST', `broker ${brokerId} of --broker-list is not a live broker`);
        return { brokerId, rack: broker.rack === '' ? null : broker.rack };
      });
      // Like Kafka, each run may propose another placement: the start broker is random.
      const proposed = proposeReassignment(assignments, placementBrokers, new Prng(Date.now()));
      print(`Current partition replica assignment\n${formatReassignment(currentAssignment(assignments))}\n`);
      print(`Proposed partition reassignment configuration\n${formatReassignment(proposed)}`);
    });

  clientCommand(reassign.command('execute').description('start the reassignment a file describes'))
    .requiredOption('--reassignment-json-file <file>', 'JSON: {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2]}]}')
    .option('--throttle <bytesPerSec>', 'limit on the replication traffic of the move, in bytes per second per broker')
    .action(async (flags: ExecuteFlags) => {
      const partitions = await readReassignment(flags.reassignmentJsonFile);
      const throttleBytesPerSec = flags.throttle === undefined ? undefined : BigInt(integerFlag('--throttle', flags.throttle, 1));
      const current = await withAdmin(flags, async (admin) => {
        const before = await assignmentsOf(admin, partitions);
        await admin.alterPartitionReassignments(partitions, throttleBytesPerSec === undefined ? {} : { throttleBytesPerSec });
        return before;
      });
      print(`Current partition replica assignment\n\n${formatReassignment(current)}\n`);
      print('Save this to use as the --reassignment-json-file option during rollback');
      print(`Successfully started partition reassignments for ${partitions.map((p) => `${p.topic}-${p.partition}`).join(',')}`);
    });

  clientCommand(reassign.command('verify').description('whether the reassignment a file describes is done; fails if a partition has other replicas'))
    .requiredOption('--reassignment-json-file <file>', 'the file given to execute')
    .action(async (flags: ClientFlags & { readonly reassignmentJsonFile: string }) => {
      const partitions = await readReassignment(flags.reassignmentJsonFile);
      const { current, ongoing } = await withAdmin(flags, async (admin) => ({
        current: await assignmentsOf(admin, partitions),
        ongoing: await admin.listPartitionReassignments(),
      }));
      const statuses = verifyReassignment(partitions, current, ongoing);
      print(['Status of partition reassignment:', ...statuses.map((s) => s.line)].join('\n'));
      const wrong = statuses.filter((s) => s.status === 'different').length;
      if (wrong > 0) throw new EddyError('INVALID_REPLICA_ASSIGNMENT', `${wrong} partition(s) are not on their target replicas and no reassignment of them runs`);
    });
}

export type VerifyStatus = 'completed' | 'in-progress' | 'different';

/** Kafka's verify lines, one per partition of the file. */
export function verifyReassignment(
  targets: readonly PartitionReplicas[],
  current: readonly PartitionReplicas[],
  ongoing: readonly PartitionReassignment[],
): { status: VerifyStatus; line: string }[] {
  return targets.map((target) => {
    const name = `${target.topic}-${target.partition}`;
    if (ongoing.some((o) => o.topic === target.topic && o.partition === target.partition)) {
      return { status: 'in-progress', line: `Reassignment of partition ${name} is still in progress.` };
    }
    const replicas = current.find((c) => c.topic === target.topic && c.partition === target.partition)?.replicas ?? [];
    if (replicas.join() === target.replicas.join()) return { status: 'completed', line: `Reassignment of partition ${name} is completed.` };
    return {
      status: 'different',
      line: `There is no active reassignment of partition ${name}, but replica set is ${replicas.join(',')} rather than ${target.replicas.join(',')}.`,
    };
  });
}

async function readReassignment(file: string): Promise<PartitionReplicas[]> {
  return parseReassignment(await readFile(file, 'utf8'), file);
}

/** The replicas each partition of `partitions` has now (the target ones while a move runs). */
async function assignmentsOf(admin: Admin, partitions: readonly PartitionReplicas[]): Promise<PartitionReplicas[]> {
  const topics = [...new Set(partitions.map((p) => p.topic))];
  const all = currentAssignment((await admin.describeTopics(topics)).map(assignmentOf));
  return partitions.map((p) => {
    const found = all.find((c) => c.topic === p.topic && c.partition === p.partition);
    if (found === undefined) throw new EddyError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${p.topic}-${p.partition} does not exist`);
    return found;
  });
}

function assignmentOf(topic: TopicDescription): TopicAssignment {
  return {
    topic: topic.topic,
    partitions: topic.partitions.map((p) => ({ partition: p.partition, replicas: p.replicas.filter((id) => !p.removingReplicas.includes(id)) })),
  };
}
