// The enums of proto/eddy/v1 other than ErrorCode (which is ../error-codes.ts). Decoded as their
// value names; a value this build does not know decodes as the enum's zero value (see ../load.ts).

/** Partition states as users see them (`topics describe`). */
export const partitionStateValues = {
  PARTITION_STATE_UNSPECIFIED: 0,
  PARTITION_STATE_NON_EXISTENT: 1,
  /** Created, no leader elected yet. */
  PARTITION_STATE_NEW: 2,
  PARTITION_STATE_ONLINE: 3,
  /** It had a leader and has none now (its in-sync replicas are down). */
  PARTITION_STATE_OFFLINE: 4,
} as const;
export type PartitionState = keyof typeof partitionStateValues;

/** Replica states as users see them. */
export const replicaStateValues = {
  REPLICA_STATE_UNSPECIFIED: 0,
  REPLICA_STATE_NON_EXISTENT: 1,
  /** Being added by a reassignment and not yet in sync. */
  REPLICA_STATE_NEW: 2,
  REPLICA_STATE_ONLINE: 3,
  /** On a broker that is fenced or down. */
  REPLICA_STATE_OFFLINE: 4,
} as const;
export type ReplicaState = keyof typeof replicaStateValues;

/** Kafka's resource type numbers. */
export const configResourceTypeValues = {
  CONFIG_RESOURCE_TYPE_UNSPECIFIED: 0,
  CONFIG_RESOURCE_TYPE_TOPIC: 2,
  CONFIG_RESOURCE_TYPE_BROKER: 4,
} as const;
export type ConfigResourceType = keyof typeof configResourceTypeValues;

/** Where a config value comes from, most specific first (Kafka's numbers). */
export const configSourceValues = {
  CONFIG_SOURCE_UNSPECIFIED: 0,
  /** An override set on the topic. */
  CONFIG_SOURCE_TOPIC: 1,
  /** Set at run time for one broker. */
  CONFIG_SOURCE_DYNAMIC_BROKER: 2,
  /** Set at run time for all brokers. */
  CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER: 3,
  /** From the broker's config file or command line. */
  CONFIG_SOURCE_STATIC_BROKER: 4,
  /** Eddy's built-in default. */
  CONFIG_SOURCE_DEFAULT: 5,
} as const;
export type ConfigSource = keyof typeof configSourceValues;

export const alterConfigOpValues = {
  ALTER_CONFIG_OP_UNSPECIFIED: 0,
  ALTER_CONFIG_OP_SET: 1,
  /** Remove the override (back to the less specific value). */
  ALTER_CONFIG_OP_DELETE: 2,
  /** For list-valued keys: add to / remove from the list. */
  ALTER_CONFIG_OP_APPEND: 3,
  ALTER_CONFIG_OP_SUBTRACT: 4,
} as const;
export type AlterConfigOp = keyof typeof alterConfigOpValues;

export const electionTypeValues = {
  ELECTION_TYPE_UNSPECIFIED: 0,
  /** Move leadership to the first replica when it is in sync. */
  ELECTION_TYPE_PREFERRED: 1,
  /** Elect an out-of-sync replica of a leaderless partition (may lose data). */
  ELECTION_TYPE_UNCLEAN: 2,
} as const;
export type ElectionType = keyof typeof electionTypeValues;

/** Group states, as Kafka's classic coordinator has them. */
export const groupStateValues = {
  GROUP_STATE_UNSPECIFIED: 0,
  /** No members; committed offsets may remain. */
  GROUP_STATE_EMPTY: 1,
  /** Waiting for members to (re)join. */
  GROUP_STATE_PREPARING_REBALANCE: 2,
  /** Members joined; waiting for the leader's assignment. */
  GROUP_STATE_COMPLETING_REBALANCE: 3,
  GROUP_STATE_STABLE: 4,
  /** Removed (deleted or expired). */
  GROUP_STATE_DEAD: 5,
} as const;
export type GroupState = keyof typeof groupStateValues;

export const raftEntryTypeValues = {
  RAFT_ENTRY_TYPE_UNSPECIFIED: 0,
  /** An application proposal: `data` holds metadata records (packages/metadata's encoding). */
  RAFT_ENTRY_TYPE_NORMAL: 1,
  /** Appended by every new leader so it can commit entries of earlier terms; `data` is empty. */
  RAFT_ENTRY_TYPE_NO_OP: 2,
  /**
   * A voter or observer change; `data` is packages/raft's encoding of the whole resulting
   * membership.
   */
  RAFT_ENTRY_TYPE_MEMBERSHIP: 3,
} as const;
export type RaftEntryType = keyof typeof raftEntryTypeValues;

/** Every enum except ErrorCode, by name: value name to number. */
export const enumValues = {
  PartitionState: partitionStateValues,
  ReplicaState: replicaStateValues,
  ConfigResourceType: configResourceTypeValues,
  ConfigSource: configSourceValues,
  AlterConfigOp: alterConfigOpValues,
  ElectionType: electionTypeValues,
  GroupState: groupStateValues,
  RaftEntryType: raftEntryTypeValues,
} as const;
