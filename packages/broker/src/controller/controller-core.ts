import { assert, type EddyError, type Prng } from '@eddy/base';
import {
  type BrokerImage,
  type Endpoint,
  type MetadataImage,
  type MetadataRecord,
  NO_LEADER,
  type PartitionChangeRecord,
  type PartitionImage,
} from '@eddy/metadata';
import { resolveTopicConfig, topicConfigProblem } from '../topic-config.js';
import { controllerError } from './controller-errors.js';
import { allPartitions, electForLeaderless, electPreferred, removeBrokersFromPartition } from './partition-leadership.js';
import { cancelReassignment, completeReassignment, originalReplicas, startReassignment, targetReplicas } from './reassignment.js';
import { checkManualAssignment, type ReplicaAssignment } from './manual-assignment.js';
import { placeReplicas } from './replica-placement.js';
import { topicNameProblem } from './topic-name.js';

export interface ControllerConfig {
  /** A broker that has not heartbeated for this long is fenced. */
  readonly sessionTimeoutMs: number;
  /** Producer ids handed to a broker per AllocateProducerIds. */
  readonly producerIdBlockSize: number;
  /** Partitions one CreateTopics/CreatePartitions may create. */
  readonly partitionsPerRequestMax: number;
  /** Partitions of a topic created with -1 for its count (Kafka's num.partitions). */
  readonly partitionCountDefault: number;
  /** Replication factor of a topic created with -1 for it (Kafka's default.replication.factor). */
  readonly replicationFactorDefault: number;
  /**
   * How often the controller moves leadership back to preferred replicas that are in sync again
   * (Kafka's auto.leader.rebalance.enable); 0 turns it off.
   */
  readonly preferredLeaderCheckIntervalMs: number;
  /**
   * A broker silent this long (it missed heartbeats) has its listener probed, and is fenced at
   * once if the connection is refused: its process is gone, so waiting out the session timeout
   * would only keep its partitions leaderless. 0 turns probing off.
   */
  readonly probeSilentBrokersAfterMs: number;
}

export const defaultControllerConfig: ControllerConfig = {
  sessionTimeoutMs: 9_000,
  producerIdBlockSize: 1_000,
  partitionsPerRequestMax: 10_000,
  partitionCountDefault: 1,
  replicationFactorDefault: 1,
  preferredLeaderCheckIntervalMs: 30_000,
  probeSilentBrokersAfterMs: 0,
};

/** What an operation decided: the records to commit, and the answer once they are committed. */
export interface ControllerResult<T> {
  readonly records: readonly MetadataRecord[];
  readonly response: T;
}

export interface RegisterBrokerRequest {
  readonly brokerId: number;
  readonly incarnationId: string;
  readonly endpoint: Endpoint;
  readonly rack: string | null;
}

export interface BrokerHeartbeatRequest {
  readonly brokerId: number;
  readonly brokerEpoch: number;
  /** The highest metadata offset the broker has replayed. */
  readonly metadataOffset: number;
  readonly wantFence: boolean;
  readonly wantShutdown: boolean;
}

export interface BrokerHeartbeatResponse {
  readonly isCaughtUp: boolean;
  readonly isFenced: boolean;
  readonly shouldShutdown: boolean;
}

export interface CreateTopicRequest {
  readonly name: string;
  /** -1: the configured default; must be -1 when `assignments` are given, which set the count. */
  readonly partitions: number;
  /** -1: the configured default; must be -1 when `assignments` are given, which set it. */
  readonly replicationFactor: number;
  readonly configs: ReadonlyMap<string, string>;
  /** Explicit placement of partitions 0..n-1; absent or empty lets the controller place them. */
  readonly assignments?: readonly ReplicaAssignment[];
}

export interface TopicOutcome {
  readonly name: string;
  readonly topicId?: string;
  /** As created, when created. */
  readonly partitions?: number;
  readonly replicationFactor?: number;
  readonly error?: EddyError;
}

export interface AlterPartitionRequest {
  readonly brokerId: number;
  readonly brokerEpoch: number;
  readonly topicId: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly number[];
}

export interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export interface ReassignmentRequest extends PartitionRef {
  /** The target replicas, preferred leader first; null cancels the ongoing reassignment. */
  readonly replicas: readonly number[] | null;
}

export interface PartitionOutcome extends PartitionRef {
  readonly error?: EddyError;
}

/**
 * The decisions of the active controller, as a pure state machine: each operation reads the
 * latest metadata image (committed records plus the ones this controller already proposed) and
 * returns the records that carry it out. The driver commits the records through Raft, replays
 * them into the image, and answers the caller. Time (`nowMs`) and randomness are injected.
 *
 * Validation failures throw typed errors (or report them per item) and produce no records.
 */
export class ControllerCore {
  private image: MetadataImage;
  /** Last heartbeat per broker, kept only in the active controller's memory (as in KRaft). */
  private readonly lastContactMs = new Map<number, number>();

  constructor(
    image: MetadataImage,
    private readonly prng: Prng,
    private readonly config: ControllerConfig = defaultControllerConfig,
  ) {
    this.image = image;
  }

  get latestImage(): MetadataImage {
    return this.image;
  }

  /** The driver calls this after replaying proposed or committed records. */
  onImage(image: MetadataImage): void {
    this.image = image;
  }

  /**
   * This node just became the active controller. Every broker gets a fresh session (their
   * heartbeats went to the old controller), and a new cluster gets its id.
   */
  becomeActive(nowMs: number): ControllerResult<null> {
    this.lastContactMs.clear();
    for (const brokerId of this.image.brokers.keys()) this.lastContactMs.set(brokerId, nowMs);
    const records: MetadataRecord[] = this.image.clusterId === null ? [{ type: 'ClusterId', clusterId: this.randomId() }] : [];
    return { records, response: null };
  }

  registerBroker(request: RegisterBrokerRequest, nowMs: number): ControllerResult<{ brokerEpoch: number }> {
    const existing = this.image.brokers.get(request.brokerId);
    this.lastContactMs.set(request.brokerId, nowMs);
    if (existing?.incarnationId === request.incarnationId) {
      // A retried registration of the same process: answer as before.
      return { records: [], response: { brokerEpoch: existing.brokerEpoch } };
    }
    // Epochs are unique and grow: no record can land at or below the latest offset.
    const brokerEpoch = this.image.offset + 1;
    const records: MetadataRecord[] = [];
    if (existing !== undefined && !existing.fenced) {
      records.push(...this.partitionChangesRemoving(new Set([existing.brokerId])));
    }
    records.push({
      type: 'RegisterBroker',
      brokerId: request.brokerId,
      incarnationId: request.incarnationId,
      brokerEpoch,
      endpoint: request.endpoint,
      rack: request.rack,
    });
    return { records, response: { brokerEpoch } };
  }

  brokerHeartbeat(request: BrokerHeartbeatRequest, nowMs: number): ControllerResult<BrokerHeartbeatResponse> {
    const broker = this.registeredBroker(request.brokerId, request.brokerEpoch);
    this.lastContactMs.set(broker.brokerId, nowMs);
    const isCaughtUp = request.metadataOffset >= broker.brokerEpoch;
    const records: MetadataRecord[] = [];
    let isFenced = broker.fenced;
    if (request.wantShutdown) {
      if (!broker.inControlledShutdown) {
        records.push(
          { type: 'BrokerShutdown', brokerId: broker.brokerId, brokerEpoch: broker.brokerEpoch, inControlledShutdown: true },
          ...this.partitionChangesRemoving(new Set([broker.brokerId])),
        );
      }
    } else if (request.wantFence && !broker.fenced) {
      records.push({ type: 'FenceBroker', brokerId: broker.brokerId, brokerEpoch: broker.brokerEpoch }, ...this.partitionChangesRemoving(new Set([broker.brokerId])));
      isFenced = true;
    } else if (!request.wantFence && broker.fenced && isCaughtUp) {
      records.push({ type: 'UnfenceBroker', brokerId: broker.brokerId, brokerEpoch: broker.brokerEpoch }, ...this.partitionChangesReturning(broker.brokerId));
      isFenced = false;
    }
    // A broker in controlled shutdown may go once it leads nothing (leadership moved away).
    const shouldShutdown = request.wantShutdown && broker.inControlledShutdown && !this.leadsAnything(broker.brokerId);
    return { records, response: { isCaughtUp, isFenced, shouldShutdown } };
  }

  /**
   * Removes a broker's registration (decommissioning: its replicas were moved away first). As in
   * Kafka, a broker still running registers again with its next heartbeat.
   */
  unregisterBroker(brokerId: number): ControllerResult<null> {
    const broker = this.image.brokers.get(brokerId);
    if (broker === undefined) throw controllerError('BROKER_ID_NOT_REGISTERED', `broker ${brokerId} is not registered`);
    const held = [...allPartitions(this.image)].filter((partition) => partition.replicas.includes(brokerId));
    if (held.length > 0) {
      const named = held.slice(0, 3).map((p) => `${p.topicName}-${p.partition}`);
      const more = held.length > named.length ? ` and ${held.length - named.length} more` : '';
      throw controllerError('INVALID_REQUEST', `broker ${brokerId} still holds replicas of ${named.join(', ')}${more}; reassign them first`);
    }
    this.lastContactMs.delete(brokerId);
    return { records: [{ type: 'UnregisterBroker', brokerId, brokerEpoch: broker.brokerEpoch }], response: null };
  }

  /** Fences every unfenced broker whose session expired; called on a timer. */
  fenceExpiredBrokers(nowMs: number): ControllerResult<readonly number[]> {
    for (const brokerId of this.image.brokers.keys()) if (!this.lastContactMs.has(brokerId)) this.lastContactMs.set(brokerId, nowMs);
    return this.fence(this.silentBrokers(nowMs, this.config.sessionTimeoutMs).map((broker) => broker.brokerId));
  }

  /** Unfenced brokers that have not been heard from for longer than `silenceMs`. */
  silentBrokers(nowMs: number, silenceMs: number): readonly BrokerImage[] {
    return [...this.image.brokers.values()].filter((broker) => {
      const last = this.lastContactMs.get(broker.brokerId);
      return !broker.fenced && last !== undefined && nowMs - last > silenceMs;
    });
  }

  /**
   * Fences brokers whose listener refused a connection (their process is gone) before their
   * session expired, as long as each is still silent for longer than `silenceMs` in the same incarnation:
   * a heartbeat or a re-registration that arrived while the probe ran wins.
   */
  fenceUnreachableBrokers(probed: readonly { brokerId: number; brokerEpoch: number }[], nowMs: number, silenceMs: number): ControllerResult<readonly number[]> {
    const stillSilent = new Map(this.silentBrokers(nowMs, silenceMs).map((broker) => [broker.brokerId, broker.brokerEpoch]));
    return this.fence(probed.filter((broker) => stillSilent.get(broker.brokerId) === broker.brokerEpoch).map((broker) => broker.brokerId));
  }

  private fence(brokerIds: readonly number[]): ControllerResult<readonly number[]> {
    const records: MetadataRecord[] = [];
    for (const brokerId of brokerIds) {
      const broker = this.image.brokers.get(brokerId);
      if (broker !== undefined) records.push({ type: 'FenceBroker', brokerId, brokerEpoch: broker.brokerEpoch });
    }
    if (records.length > 0) records.push(...this.partitionChangesRemoving(new Set(brokerIds)));
    return { records, response: brokerIds };
  }

  createTopics(requests: readonly CreateTopicRequest[]): ControllerResult<readonly TopicOutcome[]> {
    const records: MetadataRecord[] = [];
    const outcomes: TopicOutcome[] = [];
    const names = new Set<string>();
    for (const request of requests) {
      const duplicate = names.has(request.name);
      names.add(request.name);
      try {
        if (duplicate) throw controllerError('INVALID_REQUEST', `topic ${request.name} appears twice in one request`);
        const { records: created, ...outcome } = this.topicCreation(request);
        records.push(...created);
        outcomes.push({ name: request.name, ...outcome });
      } catch (error: unknown) {
        outcomes.push({ name: request.name, error: asEddyError(error) });
      }
    }
    return { records, response: outcomes };
  }

  deleteTopics(names: readonly string[]): ControllerResult<readonly TopicOutcome[]> {
    const records: MetadataRecord[] = [];
    const outcomes: TopicOutcome[] = [];
    for (const name of new Set(names)) {
      const topic = this.image.topic(name);
      if (topic === undefined) {
        outcomes.push({ name, error: controllerError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`) });
        continue;
      }
      records.push({ type: 'RemoveTopic', topicId: topic.topicId });
      outcomes.push({ name, topicId: topic.topicId });
    }
    return { records, response: outcomes };
  }

  /**
   * Grows a topic to `totalCount` partitions; partitions are never removed. Explicit
   * `assignments` place exactly the new partitions (current count .. totalCount-1), with the
   * topic's replication factor.
   */
  createPartitions(name: string, totalCount: number, assignments: readonly ReplicaAssignment[] = []): ControllerResult<null> {
    const topic = this.image.topic(name);
    if (topic === undefined) throw controllerError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`);
    const current = topic.partitions.size;
    if (!Number.isInteger(totalCount) || totalCount <= current) {
      throw controllerError('INVALID_PARTITIONS', `topic ${name} has ${current} partitions; the count can only be increased (asked for ${totalCount})`);
    }
    const added = totalCount - current;
    if (added > this.config.partitionsPerRequestMax) {
      throw controllerError('INVALID_PARTITIONS', `at most ${this.config.partitionsPerRequestMax} partitions can be added at once`);
    }
    if (assignments.length > 0 && assignments.length !== added) {
      throw controllerError('INVALID_REPLICA_ASSIGNMENT', `topic ${name} grows by ${added} partitions, but ${assignments.length} assignments were given`);
    }
    const first = topic.partitions.get(0);
    const replicationFactor = first === undefined ? 1 : targetReplicas(first).length;
    const placement =
      assignments.length > 0 ? this.manualPlacement(assignments, { firstPartition: current, replicationFactor }) : this.placement(current, added, replicationFactor);
    const records = placement.map((replicas, i) => this.newPartitionRecord(topic.topicId, current + i, replicas));
    return { records, response: null };
  }

  /** Sets (value) or removes (null) topic config overrides. */
  alterTopicConfigs(name: string, changes: ReadonlyMap<string, string | null>): ControllerResult<null> {
    if (this.image.topic(name) === undefined) throw controllerError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`);
    const records: MetadataRecord[] = [];
    for (const [key, value] of changes) {
      const problem = value === null ? undefined : topicConfigProblem(key, value);
      if (problem !== undefined) throw controllerError('INVALID_CONFIG', problem);
      records.push({ type: 'Config', resourceType: 'topic', resourceName: name, name: key, value });
    }
    return { records, response: null };
  }

  /** An ISR change proposed by a partition leader, fenced by leader and partition epochs. */
  alterPartition(request: AlterPartitionRequest): ControllerResult<PartitionImage> {
    this.registeredBroker(request.brokerId, request.brokerEpoch);
    const partition = this.image.topicsById.get(request.topicId)?.partitions.get(request.partition);
    if (partition === undefined) throw controllerError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${request.topicId}-${request.partition} does not exist`);
    const where = `${partition.topicName}-${partition.partition}`;
    if (partition.leader !== request.brokerId) throw controllerError('NOT_LEADER_OR_FOLLOWER', `broker ${request.brokerId} does not lead ${where}`);
    if (request.leaderEpoch !== partition.leaderEpoch) {
      throw controllerError('FENCED_LEADER_EPOCH', `leader epoch ${request.leaderEpoch} of ${where} is not the current ${partition.leaderEpoch}`);
    }
    if (request.partitionEpoch !== partition.partitionEpoch) {
      throw controllerError('INVALID_UPDATE_VERSION', `partition epoch ${request.partitionEpoch} of ${where} is not the current ${partition.partitionEpoch}`);
    }
    const isr = [...new Set(request.isr)];
    if (!isr.includes(request.brokerId) || isr.some((replica) => !partition.replicas.includes(replica))) {
      throw controllerError('INVALID_REQUEST', `ISR [${request.isr.join(',')}] of ${where} must contain the leader and only replicas`);
    }
    const added = isr.filter((replica) => !partition.isr.includes(replica));
    const ineligible = added.filter((replica) => !this.isEligible(replica));
    if (ineligible.length > 0) throw controllerError('INELIGIBLE_REPLICA', `brokers ${ineligible.join(',')} cannot join the ISR of ${where}`);
    const change: PartitionChangeRecord = { type: 'PartitionChange', topicId: request.topicId, partition: request.partition, isr };
    const next: PartitionImage = { ...partition, isr, partitionEpoch: partition.partitionEpoch + 1 };
    // The last adding replica joining the ISR completes a reassignment. That is a second change
    // in the same entry: the leader's answer is the ISR it asked for, and it learns the new
    // replica set (and maybe its loss of leadership) from the metadata log, as every node does.
    const completion = completeReassignment(next, (id) => this.isEligible(id));
    return { records: completion === undefined ? [change] : [change, completion], response: next };
  }

  /**
   * Starts, replaces or cancels (replicas: null) reassignments, each partition on its own: an
   * invalid one is reported and the others go ahead. A partition whose new replicas are all in
   * sync already (a reorder, a smaller replication factor) completes at once.
   */
  alterPartitionReassignments(requests: readonly ReassignmentRequest[]): ControllerResult<readonly PartitionOutcome[]> {
    const records: PartitionChangeRecord[] = [];
    const outcomes: PartitionOutcome[] = [];
    const seen = new Set<string>();
    for (const request of requests) {
      const ref = { topic: request.topic, partition: request.partition };
      const key = `${request.topic}\u0000${request.partition}`;
      const duplicate = seen.has(key);
      seen.add(key);
      try {
        if (duplicate) throw controllerError('INVALID_REQUEST', `partition ${request.topic}-${request.partition} appears twice in one request`);
        const change = this.reassignmentChange(request);
        if (change !== undefined) records.push(change);
        outcomes.push(ref);
      } catch (error: unknown) {
        outcomes.push({ ...ref, error: asEddyError(error) });
      }
    }
    return { records, response: outcomes };
  }

  /** Preferred-leader election for the given partitions, or for all when none are given. */
  electPreferredLeaders(partitions?: readonly PartitionRef[]): ControllerResult<readonly PartitionRef[]> {
    const candidates =
      partitions === undefined
        ? [...allPartitions(this.image)]
        : partitions.map((ref) => {
            const partition = this.image.partition(ref.topic, ref.partition);
            if (partition === undefined) throw controllerError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${ref.topic}-${ref.partition} does not exist`);
            return partition;
          });
    const records: PartitionChangeRecord[] = [];
    const moved: PartitionRef[] = [];
    for (const partition of candidates) {
      const change = electPreferred(partition, (id) => this.isEligible(id));
      if (change === undefined) continue;
      records.push(change);
      moved.push({ topic: partition.topicName, partition: partition.partition });
    }
    return { records, response: moved };
  }

  allocateProducerIds(brokerId: number, brokerEpoch: number): ControllerResult<{ firstProducerId: number; count: number }> {
    this.registeredBroker(brokerId, brokerEpoch);
    const firstProducerId = this.image.nextProducerId;
    const count = this.config.producerIdBlockSize;
    return {
      records: [{ type: 'ProducerIds', brokerId, brokerEpoch, nextProducerId: firstProducerId + count }],
      response: { firstProducerId, count },
    };
  }

  private reassignmentChange(request: ReassignmentRequest): PartitionChangeRecord | undefined {
    const partition = this.image.partition(request.topic, request.partition);
    if (partition === undefined) throw controllerError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${request.topic}-${request.partition} does not exist`);
    const isEligible = (id: number): boolean => this.isEligible(id);
    if (request.replicas === null) return cancelReassignment(partition, isEligible);
    this.checkTargetReplicas(partition, request.replicas);
    return startReassignment(partition, request.replicas, isEligible);
  }

  /**
   * A target is a non-empty list of distinct registered brokers; the brokers it adds must be
   * able to take a replica now (unfenced, not shutting down). Replicas the partition already
   * has may be down: moving a partition away from a dead broker is what reassignment is for.
   */
  private checkTargetReplicas(partition: PartitionImage, target: readonly number[]): void {
    const where = `${partition.topicName}-${partition.partition}`;
    const invalid = (why: string): EddyError => controllerError('INVALID_REPLICA_ASSIGNMENT', `the new replicas [${target.join(',')}] of ${where} ${why}`);
    if (target.length === 0) throw invalid('are empty');
    if (new Set(target).size !== target.length) throw invalid('name a broker twice');
    const original = originalReplicas(partition);
    for (const brokerId of target) {
      const broker = this.image.brokers.get(brokerId);
      if (broker === undefined) throw invalid(`include broker ${brokerId}, which is not registered`);
      if (!original.includes(brokerId) && !this.isEligible(brokerId)) {
        throw invalid(`include broker ${brokerId}, which is ${broker.fenced ? 'fenced' : 'shutting down'}`);
      }
    }
  }

  private topicCreation(request: CreateTopicRequest): { records: MetadataRecord[]; topicId: string; partitions: number; replicationFactor: number } {
    const nameProblem = topicNameProblem(request.name);
    if (nameProblem !== undefined) throw controllerError('INVALID_TOPIC_EXCEPTION', nameProblem);
    if (this.image.topic(request.name) !== undefined) throw controllerError('TOPIC_ALREADY_EXISTS', `topic ${request.name} already exists`);
    const placement = this.topicPlacement(request);
    const replicationFactor = placement[0]?.length;
    assert(replicationFactor !== undefined, 'a new topic has a partition');
    for (const [key, value] of request.configs) {
      const problem = topicConfigProblem(key, value);
      if (problem !== undefined) throw controllerError('INVALID_CONFIG', problem);
    }
    const minIsr = resolveTopicConfig(request.configs).minInsyncReplicas;
    if (minIsr > replicationFactor) {
      throw controllerError('INVALID_CONFIG', `min.insync.replicas ${minIsr} exceeds replication factor ${replicationFactor}`);
    }
    const topicId = this.randomId();
    const records: MetadataRecord[] = [{ type: 'Topic', name: request.name, topicId }];
    for (const [name, value] of request.configs) records.push({ type: 'Config', resourceType: 'topic', resourceName: request.name, name, value });
    placement.forEach((replicas, partition) => records.push(this.newPartitionRecord(topicId, partition, replicas)));
    return { records, topicId, partitions: placement.length, replicationFactor };
  }

  /** The replicas of a new topic's partitions: as assigned explicitly, or placed by the controller. */
  private topicPlacement(request: CreateTopicRequest): number[][] {
    const assignments = request.assignments ?? [];
    if (assignments.length > 0) {
      // As in Kafka: the assignment alone sets both, so a request that also sets one is ambiguous.
      if (request.partitions !== -1 || request.replicationFactor !== -1) {
        throw controllerError('INVALID_REQUEST', `topic ${request.name} has a replica assignment, so its partitions and replication factor must be -1`);
      }
      this.checkPartitionsPerRequest(assignments.length);
      return this.manualPlacement(assignments, { firstPartition: 0 });
    }
    const partitions = request.partitions === -1 ? this.config.partitionCountDefault : request.partitions;
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw controllerError('INVALID_PARTITIONS', `partitions must be at least 1 (got ${partitions})`);
    }
    this.checkPartitionsPerRequest(partitions);
    const replicationFactor = request.replicationFactor === -1 ? this.config.replicationFactorDefault : request.replicationFactor;
    const live = this.eligibleBrokers().length;
    if (!Number.isInteger(replicationFactor) || replicationFactor < 1 || replicationFactor > live) {
      throw controllerError('INVALID_REPLICATION_FACTOR', `replication factor ${replicationFactor} is not between 1 and the ${live} live brokers`);
    }
    return this.placement(0, partitions, replicationFactor);
  }

  private checkPartitionsPerRequest(partitionCount: number): void {
    if (partitionCount > this.config.partitionsPerRequestMax) {
      throw controllerError('INVALID_PARTITIONS', `at most ${this.config.partitionsPerRequestMax} partitions per topic can be created at once`);
    }
  }

  /**
   * An explicit placement, checked. Like Kafka, it may name fenced brokers (those replicas start
   * offline, outside the ISR), but each partition needs one live replica to lead it.
   */
  private manualPlacement(assignments: readonly ReplicaAssignment[], rules: { firstPartition: number; replicationFactor?: number }): number[][] {
    const placement = checkManualAssignment(assignments, { ...rules, isRegistered: (id) => this.image.brokers.has(id) });
    placement.forEach((replicas, i) => {
      if (!replicas.some((id) => this.isEligible(id))) {
        throw controllerError(
          'INVALID_REPLICA_ASSIGNMENT',
          `every broker assigned to partition ${rules.firstPartition + i} (${replicas.join(',')}) is fenced or shutting down`,
        );
      }
    });
    return placement;
  }

  private placement(firstPartition: number, partitionCount: number, replicationFactor: number): number[][] {
    const brokers = this.eligibleBrokers();
    if (replicationFactor > brokers.length) {
      throw controllerError('INVALID_REPLICATION_FACTOR', `replication factor ${replicationFactor} exceeds the ${brokers.length} live brokers`);
    }
    return placeReplicas(brokers, { partitionCount, replicationFactor, firstPartition }, this.prng);
  }

  /**
   * A new partition: its live replicas form the ISR and the first of them leads. A replica on a
   * fenced broker (only an explicit assignment names one) joins the ISR once it has caught up,
   * and leads again through preferred-leader election if it is the first replica.
   */
  private newPartitionRecord(topicId: string, partition: number, replicas: readonly number[]): MetadataRecord {
    const isr = replicas.filter((id) => this.isEligible(id));
    const leader = isr[0];
    assert(leader !== undefined, 'a new partition has a live replica');
    return { type: 'Partition', topicId, partition, replicas, isr, adding: [], removing: [], leader, leaderEpoch: 0, partitionEpoch: 0 };
  }

  private registeredBroker(brokerId: number, brokerEpoch: number): BrokerImage {
    const broker = this.image.brokers.get(brokerId);
    if (broker === undefined) throw controllerError('BROKER_ID_NOT_REGISTERED', `broker ${brokerId} is not registered`);
    if (broker.brokerEpoch !== brokerEpoch) {
      throw controllerError('STALE_BROKER_EPOCH', `broker ${brokerId} epoch ${brokerEpoch} is not the current ${broker.brokerEpoch}`);
    }
    return broker;
  }

  /** Brokers that may take new replicas and leadership. */
  private eligibleBrokers(): BrokerImage[] {
    return [...this.image.brokers.values()].filter((broker) => !broker.fenced && !broker.inControlledShutdown);
  }

  private isEligible(brokerId: number): boolean {
    const broker = this.image.brokers.get(brokerId);
    return broker !== undefined && !broker.fenced && !broker.inControlledShutdown;
  }

  private leadsAnything(brokerId: number): boolean {
    for (const partition of allPartitions(this.image)) if (partition.leader === brokerId) return true;
    return false;
  }

  /** Moves leadership away from `brokerIds` and takes them out of every ISR. */
  private partitionChangesRemoving(brokerIds: ReadonlySet<number>): PartitionChangeRecord[] {
    const changes: PartitionChangeRecord[] = [];
    for (const partition of allPartitions(this.image)) {
      const allowUnclean = this.uncleanAllowed(partition);
      const change = removeBrokersFromPartition(partition, brokerIds, (id) => this.isEligible(id), allowUnclean);
      if (change !== undefined) changes.push(change);
    }
    return changes;
  }

  /** Gives leaderless partitions a leader now that `brokerId` is back. */
  private partitionChangesReturning(brokerId: number): PartitionChangeRecord[] {
    const changes: PartitionChangeRecord[] = [];
    const eligible = (id: number): boolean => id === brokerId || this.isEligible(id);
    for (const partition of allPartitions(this.image)) {
      if (partition.leader !== NO_LEADER || !partition.replicas.includes(brokerId)) continue;
      const change = electForLeaderless(partition, eligible, this.uncleanAllowed(partition));
      if (change !== undefined) changes.push(change);
    }
    return changes;
  }

  private uncleanAllowed(partition: PartitionImage): boolean {
    return resolveTopicConfig(this.image.topicConfigs.get(partition.topicName)).uncleanLeaderElectionEnable;
  }

  /** A Kafka-style 22-character base64url id (topic ids, cluster id). */
  private randomId(): string {
    const bytes = Buffer.alloc(16);
    for (let i = 0; i < 16; i += 4) bytes.writeUInt32BE(this.prng.nextUint32(), i);
    return bytes.toString('base64url');
  }
}

function asEddyError(error: unknown): EddyError {
  if (error instanceof Error && 'code' in error && 'retriable' in error) return error as EddyError;
  throw error;
}
