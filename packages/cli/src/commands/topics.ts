import { EddyError } from '@eddy/base';
import type { Admin, TopicDescription } from '@eddy/client';
import type { Command } from 'commander';
import { type ClientFlags, clientCommand, integerFlag, keyValueFlags, print, withAdmin } from '../client-options.js';
import { formatJson } from '../output/table.js';

interface CreateFlags extends ClientFlags {
  readonly topic: string;
  readonly partitions?: string;
  readonly replicationFactor?: string;
  readonly config?: readonly string[];
}

interface DescribeFlags extends ClientFlags {
  readonly topic?: string;
  readonly underReplicatedPartitions?: boolean;
  readonly unavailablePartitions?: boolean;
}

export function registerTopicsCommands(program: Command): void {
  const topics = program.command('topics').description('create, list, describe, alter and delete topics');

  clientCommand(topics.command('create').description('create a topic'))
    .requiredOption('--topic <name>', 'topic name: [a-zA-Z0-9._-], at most 249 characters')
    .option('--partitions <count>', 'number of partitions (default: the broker\'s num.partitions)')
    .option('--replication-factor <count>', 'copies of each partition (default: the broker\'s default.replication.factor)')
    .option('--config <key=value...>', 'topic config overrides, e.g. retention.ms=86400000')
    .action(async (flags: CreateFlags) => {
      await withAdmin(flags, (admin) =>
        admin.createTopics([
          {
            topic: flags.topic,
            ...(flags.partitions === undefined ? {} : { partitions: integerFlag('--partitions', flags.partitions, 1) }),
            ...(flags.replicationFactor === undefined ? {} : { replicationFactor: integerFlag('--replication-factor', flags.replicationFactor, 1) }),
            configs: keyValueFlags('--config', flags.config),
          },
        ]),
      );
      print(`Created topic ${flags.topic}.`);
    });

  clientCommand(topics.command('list').description('list topic names'), { json: true })
    .option('--exclude-internal', 'leave out internal topics such as __consumer_offsets')
    .action(async (flags: ClientFlags & { readonly excludeInternal?: boolean }) => {
      const names = await withAdmin(flags, (admin) => admin.listTopics({ includeInternal: flags.excludeInternal !== true }));
      print(flags.json === true ? formatJson(names) : names.map((name) => `${name}\n`).join(''));
    });

  clientCommand(topics.command('describe').description('partitions, leaders, replicas, ISR and state of topics'), { json: true })
    .option('--topic <name>', 'only this topic (default: every topic)')
    .option('--under-replicated-partitions', 'only partitions whose ISR is smaller than their replica set')
    .option('--unavailable-partitions', 'only partitions without a live leader')
    .action(async (flags: DescribeFlags) => {
      const described = await withAdmin(flags, async (admin) => {
        const descriptions = await admin.describeTopics(flags.topic === undefined ? undefined : [flags.topic]);
        return Promise.all(descriptions.map(async (topic) => ({ topic, configs: await overriddenConfigs(admin, topic.topic) })));
      });
      const filtered = described.map(({ topic, configs }) => ({ topic: { ...topic, partitions: topic.partitions.filter((p) => keepPartition(flags, p)) }, configs }));
      if (flags.json === true) return print(formatJson(filtered));
      const onlyProblems = flags.underReplicatedPartitions === true || flags.unavailablePartitions === true;
      print(filtered.map(({ topic, configs }) => formatTopic(topic, configs, !onlyProblems)).join(''));
    });

  clientCommand(topics.command('alter').description('add partitions to a topic (partitions are never removed)'))
    .requiredOption('--topic <name>', 'the topic')
    .requiredOption('--partitions <count>', 'the new, larger partition count')
    .action(async (flags: ClientFlags & { readonly topic: string; readonly partitions: string }) => {
      const count = integerFlag('--partitions', flags.partitions, 1);
      await withAdmin(flags, (admin) => admin.createPartitions([{ topic: flags.topic, count }]));
      print(`Topic ${flags.topic} now has ${count} partitions.`);
    });

  clientCommand(topics.command('delete').description('delete a topic and its data on every broker'))
    .requiredOption('--topic <name>', 'the topic')
    .action(async (flags: ClientFlags & { readonly topic: string }) => {
      await withAdmin(flags, (admin) => admin.deleteTopics([flags.topic]));
      print(`Deleted topic ${flags.topic}.`);
    });
}

type PartitionDescription = TopicDescription['partitions'][number];

function keepPartition(flags: DescribeFlags, partition: PartitionDescription): boolean {
  if (flags.underReplicatedPartitions === true && partition.isr.length >= partition.replicas.length) return false;
  if (flags.unavailablePartitions === true && partition.state === 'Online') return false;
  return true;
}

async function overriddenConfigs(admin: Admin, topic: string): Promise<string> {
  const [description] = await admin.describeConfigs([{ type: 'topic', name: topic }]);
  if (description === undefined) throw new EddyError('UNKNOWN_SERVER_ERROR', `no configs returned for ${topic}`);
  return description.configs
    .filter((config) => config.source === 'topic')
    .map((config) => `${config.name}=${config.value}`)
    .join(',');
}

/**
 * Kafka's layout: a header line per topic, then one tab-separated line per partition. During a
 * reassignment the partition line names the replicas being added and removed, and the
 * replication factor counts the replicas that will remain, as Kafka's TopicCommand does.
 */
export function formatTopic(topic: TopicDescription, configs: string, withHeader: boolean): string {
  const first = topic.partitions[0];
  const replicationFactor = first === undefined ? 0 : first.replicas.length - first.removingReplicas.length;
  const header = `Topic: ${topic.topic}\tPartitionCount: ${topic.partitions.length}\tReplicationFactor: ${replicationFactor}\tConfigs: ${configs}\n`;
  const lines = topic.partitions.map((p) => {
    const moving =
      (p.addingReplicas.length > 0 ? `\tAdding Replicas: ${p.addingReplicas.join(',')}` : '') +
      (p.removingReplicas.length > 0 ? `\tRemoving Replicas: ${p.removingReplicas.join(',')}` : '');
    const leader = p.leader < 0 ? 'none' : p.leader;
    return `\tTopic: ${topic.topic}\tPartition: ${p.partition}\tLeader: ${leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}${moving}\tState: ${p.state}\n`;
  });
  return (withHeader ? header : '') + lines.join('');
}
