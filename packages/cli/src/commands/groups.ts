import { EddyError } from '@eddy/base';
import type { Admin, GroupDescription } from '@eddy/client';
import type { Command } from 'commander';
import { type ClientFlags, clientCommand, integerFlag, print, withAdmin, withEddy } from '../client-options.js';
import { lagTimes } from '../console/lag-time.js';
import { cliLimits } from '../limits.js';
import { formatJson, formatTable } from '../output/table.js';

interface DescribeFlags extends ClientFlags {
  readonly group: string;
  readonly members?: boolean;
  readonly state?: boolean;
}

interface ResetFlags extends ClientFlags {
  readonly group: string;
  readonly topic: string;
  readonly toEarliest?: boolean;
  readonly toLatest?: boolean;
  readonly toOffset?: string;
  readonly toDatetime?: string;
  readonly shiftBy?: string;
  readonly execute?: boolean;
}

export function registerGroupsCommands(program: Command): void {
  const groups = program.command('groups').description('consumer groups: members, offsets and lag');

  clientCommand(groups.command('list').description('every consumer group'), { json: true }).action(async (flags: ClientFlags) => {
    const listed = await withAdmin(flags, (admin) => admin.listGroups());
    if (flags.json === true) return print(formatJson(listed));
    print(listed.map((group) => `${group.groupId}\n`).join(''));
  });

  clientCommand(groups.command('describe').description('offsets and lag per partition, or members, or state'), { json: true })
    .requiredOption('--group <id>', 'the group')
    .option('--members', 'one row per member: id, host, client id, partition count')
    .option('--state', 'the group state, protocol, leader and generation')
    .action(async (flags: DescribeFlags) => {
      if (flags.json === true) return print(formatJson(await describeWithLagTimes(flags)));
      const [group] = await withAdmin(flags, (admin) => admin.describeGroups([flags.group]));
      if (group === undefined) throw new EddyError('GROUP_ID_NOT_FOUND', `group ${flags.group} does not exist`);
      if (flags.members === true) return print(formatMembers(group));
      if (flags.state === true) return print(formatState(group));
      print(formatOffsets(group));
    });

  clientCommand(groups.command('reset-offsets').description('move a group\'s committed offsets (dry run unless --execute)'), { json: true })
    .requiredOption('--group <id>', 'the group (it must have no active members)')
    .requiredOption('--topic <name>', 'the topic whose offsets move')
    .option('--to-earliest', 'to the first offset still in the log')
    .option('--to-latest', 'to the log end')
    .option('--to-offset <offset>', 'to this offset')
    .option('--to-datetime <iso>', 'to the first record at or after this time, e.g. 2026-11-23T10:00:00Z')
    .option('--shift-by <n>', 'by n (negative moves back) from the committed offset')
    .option('--execute', 'apply the change (without it, only show the plan)')
    .action(async (flags: ResetFlags) => {
      const plan = await withAdmin(flags, async (admin) => {
        const planned = await planReset(admin, flags);
        if (flags.execute === true) {
          await admin.alterConsumerGroupOffsets(flags.group, planned.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
        }
        return planned;
      });
      if (flags.json === true) return print(formatJson(plan));
      print(formatTable(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], plan.map((row) => [flags.group, row.topic, row.partition, row.offset])));
      if (flags.execute !== true) print('Dry run: nothing changed. Add --execute to apply.');
    });

  clientCommand(groups.command('delete').description('delete an empty group and its committed offsets'))
    .requiredOption('--group <id>', 'the group')
    .action(async (flags: ClientFlags & { readonly group: string }) => {
      await withAdmin(flags, (admin) => admin.deleteGroups([flags.group]));
      print(`Deleted group ${flags.group}.`);
    });
}

/**
 * The group as `--json` shows it: the description, with each offsets row's lag in seconds too
 * (`lagSeconds`: the age of the oldest record the group has not read; see lagTimes).
 */
async function describeWithLagTimes(flags: DescribeFlags): Promise<GroupDescription & { offsets: Array<GroupDescription['offsets'][number] & { lagSeconds: number | null }> }> {
  return withEddy(flags, async (eddy) => {
    const admin = eddy.admin();
    try {
      const [group] = await admin.describeGroups([flags.group]);
      if (group === undefined) throw new EddyError('GROUP_ID_NOT_FOUND', `group ${flags.group} does not exist`);
      const times = await lagTimes(eddy, group.offsets, Date.now(), cliLimits.lagTimeProbeMs);
      return { ...group, offsets: group.offsets.map((row, i) => ({ ...row, lagSeconds: times[i]?.lagSeconds ?? null })) };
    } finally {
      await admin.close();
    }
  });
}

function memberOf(group: GroupDescription, topic: string, partition: number): GroupDescription['members'][number] | undefined {
  return group.members.find((member) => member.assignment.some((tp) => tp.topic === topic && tp.partition === partition));
}

function formatOffsets(group: GroupDescription): string {
  const rows = [...group.offsets]
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map((offset) => {
      const member = memberOf(group, offset.topic, offset.partition);
      return [group.groupId, offset.topic, offset.partition, offset.committedOffset, offset.logEndOffset, offset.lag, member?.memberId, member?.clientHost, member?.clientId];
    });
  return formatTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], rows);
}

function formatMembers(group: GroupDescription): string {
  return formatTable(
    ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS'],
    group.members.map((member) => [group.groupId, member.memberId, member.clientHost, member.clientId, member.assignment.length]),
  );
}

function formatState(group: GroupDescription): string {
  const leader = group.members.find((member) => member.memberId === group.leaderMemberId);
  return formatTable(
    ['GROUP', 'STATE', 'PROTOCOL', 'LEADER', 'GENERATION', '#MEMBERS'],
    [[group.groupId, group.state, group.protocolName, leader === undefined ? group.leaderMemberId : `${leader.memberId} (${leader.clientHost})`, group.generationId, group.members.length]],
  );
}

interface PlannedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** Computes the new offset of every partition of the topic, refusing a group with members. */
async function planReset(admin: Admin, flags: ResetFlags): Promise<PlannedOffset[]> {
  const targets = [flags.toEarliest, flags.toLatest, flags.toOffset, flags.toDatetime, flags.shiftBy].filter((target) => target !== undefined);
  if (targets.length !== 1) throw new EddyError('INVALID_REQUEST', 'give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by');
  const [group] = await admin.describeGroups([flags.group]);
  if (group !== undefined && group.members.length > 0) {
    throw new EddyError('NON_EMPTY_GROUP', `group ${flags.group} has ${group.members.length} active members; stop them before resetting offsets`);
  }
  const [topic] = await admin.describeTopics([flags.topic]);
  if (topic === undefined) throw new EddyError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${flags.topic} does not exist`);
  const partitions = topic.partitions.map((p) => ({ topic: flags.topic, partition: p.partition }));
  const [earliest, latest] = await Promise.all([admin.listOffsets(partitions, 'earliest'), admin.listOffsets(partitions, 'latest')]);
  const bounds = (partition: number): { low: bigint; high: bigint } => ({
    low: earliest.find((o) => o.partition === partition)?.offset ?? 0n,
    high: latest.find((o) => o.partition === partition)?.offset ?? 0n,
  });
  const clamp = (partition: number, offset: bigint): bigint => {
    const { low, high } = bounds(partition);
    return offset < low ? low : offset > high ? high : offset;
  };
  if (flags.toDatetime !== undefined) {
    const timestamp = Date.parse(flags.toDatetime);
    if (Number.isNaN(timestamp)) throw new EddyError('INVALID_REQUEST', `--to-datetime ${JSON.stringify(flags.toDatetime)} is not a date`);
    const found = await admin.listOffsets(partitions, { timestamp });
    return partitions.map(({ partition }) => {
      const offset = found.find((o) => o.partition === partition)?.offset ?? -1n;
      return { topic: flags.topic, partition, offset: offset < 0n ? bounds(partition).high : offset };
    });
  }
  const committed = new Map((group?.offsets ?? []).filter((o) => o.topic === flags.topic).map((o) => [o.partition, o.committedOffset]));
  return partitions.map(({ partition }) => {
    let offset: bigint;
    if (flags.toEarliest === true) offset = bounds(partition).low;
    else if (flags.toLatest === true) offset = bounds(partition).high;
    else if (flags.toOffset !== undefined) offset = BigInt(integerFlag('--to-offset', flags.toOffset, 0));
    else offset = (committed.get(partition) ?? bounds(partition).low) + BigInt(integerFlag('--shift-by', flags.shiftBy, Number.MIN_SAFE_INTEGER));
    return { topic: flags.topic, partition, offset: clamp(partition, offset) };
  });
}
