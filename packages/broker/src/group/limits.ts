import { assert } from '@eddy/base';

/**
 * Operator settings of the group coordinator, with Kafka's names and defaults where Kafka has
 * them. Tests lower the timeouts.
 */
export interface GroupCoordinatorConfig {
  /** group.min.session.timeout.ms: the shortest session a member may ask for. */
  readonly groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms: the longest session a member may ask for. */
  readonly groupMaxSessionTimeoutMs: number;
  /**
   * group.initial.rebalance.delay.ms: an Empty group's first join phase waits this long for more
   * members, extended by each new member up to the rebalance timeout, so ten consumers starting
   * together form one generation instead of ten.
   */
  readonly groupInitialRebalanceDelayMs: number;
  /** group.max.size: members (and members still to confirm their id) one group may have. */
  readonly groupMaxSize: number;
  /** The longest rebalance timeout (a consumer's max.poll.interval.ms) accepted. */
  readonly groupMaxRebalanceTimeoutMs: number;
  /**
   * offsets.commit.timeout.ms: how long the write of a new generation's assignment may take
   * before the coordinator gives up on it and fails the waiting SyncGroups.
   */
  readonly groupMetadataWriteTimeoutMs: number;
  /**
   * KIP-394: a member joining without an id gets one back with MEMBER_ID_REQUIRED and must
   * join again with it, so a client retrying JoinGroups whose responses it never saw cannot
   * fill the group with ghost members. (Static members skip this: their instance id names them.)
   */
  readonly requireKnownMemberId: boolean;
  /** offsets.topic.num.partitions: partitions of __consumer_offsets. */
  readonly offsetsTopicPartitionCount: number;
}

export const defaultGroupCoordinatorConfig: GroupCoordinatorConfig = {
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 3_000,
  groupMaxSize: 1_000,
  groupMaxRebalanceTimeoutMs: 3_600_000,
  groupMetadataWriteTimeoutMs: 5_000,
  requireKnownMemberId: true,
  offsetsTopicPartitionCount: 50,
};

/**
 * Hard bounds of the coordinator, independent of configuration. Everything a request carries is
 * checked against these before it is stored.
 */
export const groupLimits = {
  /** Longest group id, member id, instance id, client id, host, protocol type or name. */
  nameLengthMax: 1024,
  /** Largest group.max.size an operator may configure. */
  groupSizeMax: 100_000,
  /** Protocols (assignment strategies) one member may offer. */
  protocolsPerMemberMax: 32,
  /** Largest subscription metadata of one protocol (the client's limit is the same). */
  protocolMetadataBytesMax: 1024 * 1024,
  /** Largest assignment of one member. */
  assignmentBytesMax: 1024 * 1024,
  /** Members one LeaveGroup may remove. */
  leaveMembersPerRequestMax: 100_000,
  /** Rebalances remembered per group (oldest dropped first) for `groups describe`. */
  rebalanceHistoryMax: 32,
  /** Reasons remembered per rebalance (later ones are counted, not kept). */
  reasonsPerRebalanceMax: 16,
  /** Attempts to draw a member id not used in the group yet. */
  memberIdAttemptsMax: 16,
  /** Longest supported timeout of any kind, so deadlines stay exact in a double. */
  timeoutMsMax: 7 * 24 * 60 * 60 * 1000,
  /** __consumer_offsets partitions. */
  offsetsTopicPartitionCountMax: 10_000,
} as const;

assert(groupLimits.leaveMembersPerRequestMax >= groupLimits.groupSizeMax, 'one LeaveGroup can empty the largest group');
assert(groupLimits.memberIdAttemptsMax >= 1, 'at least one attempt to draw a member id');

/** The defaults with `overrides`, checked. */
export function groupCoordinatorConfig(overrides: Partial<GroupCoordinatorConfig> = {}): GroupCoordinatorConfig {
  const config = { ...defaultGroupCoordinatorConfig, ...overrides };
  assertGroupCoordinatorConfig(config);
  return config;
}

/** The relations every configuration must satisfy (a bad configuration is a bug in the caller). */
export function assertGroupCoordinatorConfig(config: GroupCoordinatorConfig): void {
  const positive = (value: number, name: string): void =>
    assert(Number.isSafeInteger(value) && value > 0 && value <= groupLimits.timeoutMsMax, `${name} must be in (0, ${groupLimits.timeoutMsMax}], got ${value}`);
  positive(config.groupMinSessionTimeoutMs, 'groupMinSessionTimeoutMs');
  positive(config.groupMaxSessionTimeoutMs, 'groupMaxSessionTimeoutMs');
  positive(config.groupMaxRebalanceTimeoutMs, 'groupMaxRebalanceTimeoutMs');
  positive(config.groupMetadataWriteTimeoutMs, 'groupMetadataWriteTimeoutMs');
  assert(config.groupMinSessionTimeoutMs <= config.groupMaxSessionTimeoutMs, 'group.min.session.timeout.ms <= group.max.session.timeout.ms');
  assert(
    Number.isSafeInteger(config.groupInitialRebalanceDelayMs) && config.groupInitialRebalanceDelayMs >= 0 && config.groupInitialRebalanceDelayMs <= groupLimits.timeoutMsMax,
    'group.initial.rebalance.delay.ms is a non-negative duration',
  );
  assert(Number.isSafeInteger(config.groupMaxSize) && config.groupMaxSize >= 1 && config.groupMaxSize <= groupLimits.groupSizeMax, `group.max.size must be in [1, ${groupLimits.groupSizeMax}]`);
  assert(
    Number.isSafeInteger(config.offsetsTopicPartitionCount) && config.offsetsTopicPartitionCount >= 1 && config.offsetsTopicPartitionCount <= groupLimits.offsetsTopicPartitionCountMax,
    `offsets.topic.num.partitions must be in [1, ${groupLimits.offsetsTopicPartitionCountMax}]`,
  );
}
