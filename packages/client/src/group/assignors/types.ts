/** One partition of one topic. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** The partition assignment strategies Eddy's consumers offer (Kafka's names). */
export type AssignorName = 'range' | 'roundrobin' | 'sticky';

/** What the group leader knows about one member when it computes the assignment. */
export interface AssignorMember {
  readonly memberId: string;
  /** Static membership (`group.instance.id`): orders members stably across restarts. */
  readonly groupInstanceId?: string;
  /** Topics the member subscribes to. Duplicates are ignored. */
  readonly subscription: readonly string[];
  /** Partitions the member owned in `generationId` (sticky keeps them where balance allows). */
  readonly ownedPartitions?: readonly TopicPartition[];
  /**
   * The generation in which `ownedPartitions` were assigned. When two members claim the same
   * partition the claim from the newer generation wins; equal claims are both dropped.
   */
  readonly generationId?: number;
}

/** memberId → its partitions, sorted by (topic, partition); every member appears, maybe with []. */
export type GroupAssignment = Map<string, TopicPartition[]>;

/**
 * A partition assignment strategy. The group leader runs it on the members' subscriptions and
 * the current partition counts; the result must be deterministic: the same members and counts,
 * in any order, give the same assignment.
 */
export interface Assignor {
  readonly name: AssignorName;
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): GroupAssignment;
}
