import { EddyError } from '@eddy/base';
import type { MetadataImage } from '@eddy/metadata';
import { type Messages, noError, type ServiceClient, type ServiceHandlers, toEddyError, toWireError } from '@eddy/protocol';
import type * as grpc from '@grpc/grpc-js';
import type { ControllerCore } from '../controller/controller-core.js';
import type { ControllerDriver } from '../controller/controller-driver.js';
import type { ReplicaAssignment } from '../controller/manual-assignment.js';
import { ongoingReassignments } from '../controller/reassignment.js';
import { isTopicConfigKey, resolveTopicConfig, topicConfigDefinitions } from '../topic-config.js';
import { describeLogDirs, type LocalReplicaLog } from './log-dirs.js';

export interface AdminContext {
  readonly controller: ControllerDriver;
  readonly image: () => MetadataImage;
  /** The AdminService of the active controller's node, when it is another node. */
  readonly remoteController: () => ServiceClient<'AdminService'> | undefined;
  /** The quorum's view, answered by the quorum leader. */
  readonly describeQuorum: () => Messages['DescribeQuorumResponse'] | undefined;
  readonly controllerId: () => number;
  /** Changes the quorum's voters; undefined when this node does not lead the quorum. */
  readonly changeVoters: (change: { readonly type: 'addVoter' | 'removeVoter'; readonly nodeId: number }) => Promise<void> | undefined;
  /** This node's data directory and the replica logs in it. */
  readonly dataDir: string;
  readonly localLogs: () => readonly LocalReplicaLog[];
}

type Wire = Messages;

/**
 * AdminService on every node. Operations that change metadata run on the active controller:
 * a node that is not it forwards the request there (as KRaft brokers do), so clients may send
 * admin requests to any node. Reads are answered from the local metadata image.
 */
export function adminHandlers(context: AdminContext): Partial<ServiceHandlers<'AdminService'>> {
  const { controller } = context;

  /** Runs `local` on the active controller, or forwards the call to it. */
  function onController<Req, Res>(
    call: grpc.ServerUnaryCall<Req, Res>,
    callback: grpc.sendUnaryData<Res>,
    local: (request: Req) => Promise<Res>,
    forward: (remote: ServiceClient<'AdminService'>, request: Req) => Promise<Res>,
    failure: (error: EddyError) => Res,
  ): void {
    const remote = controller.isActive ? undefined : context.remoteController();
    const run = controller.isActive ? local(call.request) : remote === undefined ? Promise.reject(toEddyError('NOT_CONTROLLER')) : forward(remote, call.request);
    run.then(
      (response) => callback(null, response),
      (error: unknown) => callback(null, failure(asEddyError(error))),
    );
  }

  return {
    createTopics: (call, callback) =>
      onController(
        call,
        callback,
        (request) => createTopics(controller, request),
        (remote, request) => remote.createTopics(request),
        (error) => ({ topics: call.request.topics.map((topic) => ({ ...toWireError(error), name: topic.name, topicId: '', numPartitions: -1, replicationFactor: -1 })) }),
      ),
    deleteTopics: (call, callback) =>
      onController(
        call,
        callback,
        async (request) => {
          const outcomes = await controller.run((core) => core.deleteTopics(request.names));
          return { topics: outcomes.map((o) => ({ ...(o.error === undefined ? noError : toWireError(o.error)), name: o.name, topicId: o.topicId ?? '' })) };
        },
        (remote, request) => remote.deleteTopics(request),
        (error) => ({ topics: call.request.names.map((name) => ({ ...toWireError(error), name, topicId: '' })) }),
      ),
    createPartitions: (call, callback) =>
      onController(
        call,
        callback,
        async (request) => ({
          topics: await Promise.all(
            request.topics.map(async (topic) => {
              try {
                const assignments = topic.assignments.map(replicaAssignment);
                const grow = (core: ControllerCore) => core.createPartitions(topic.name, topic.count, assignments);
                if (request.validateOnly) await controller.run((core) => ({ records: [], response: grow(core).response }));
                else await controller.run(grow);
                return { ...noError, name: topic.name };
              } catch (error: unknown) {
                return { ...toWireError(asEddyError(error)), name: topic.name };
              }
            }),
          ),
        }),
        (remote, request) => remote.createPartitions(request),
        (error) => ({ topics: call.request.topics.map((topic) => ({ ...toWireError(error), name: topic.name })) }),
      ),
    alterConfigs: (call, callback) =>
      onController(
        call,
        callback,
        async (request) => ({
          results: await Promise.all(
            request.resources.map(async (resource) => {
              const result = { resourceType: resource.resourceType, resourceName: resource.resourceName };
              try {
                if (resource.resourceType !== 'CONFIG_RESOURCE_TYPE_TOPIC') throw toEddyError('INVALID_REQUEST', 'only topic configs can be altered');
                const changes = new Map(resource.configs.map((config) => [config.name, config.op === 'ALTER_CONFIG_OP_DELETE' ? null : config.value] as const));
                if (request.validateOnly) await controller.run((core) => ({ records: [], response: core.alterTopicConfigs(resource.resourceName, changes).response }));
                else await controller.run((core) => core.alterTopicConfigs(resource.resourceName, changes));
                return { ...noError, ...result };
              } catch (error: unknown) {
                return { ...toWireError(asEddyError(error)), ...result };
              }
            }),
          ),
        }),
        (remote, request) => remote.alterConfigs(request),
        (error) => ({ results: call.request.resources.map((r) => ({ ...toWireError(error), resourceType: r.resourceType, resourceName: r.resourceName })) }),
      ),
    electLeaders: (call, callback) =>
      onController(
        call,
        callback,
        async (request) => {
          const refs = request.allPartitions ? undefined : request.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
          const moved = await controller.run((core) => core.electPreferredLeaders(refs));
          return { ...noError, topics: groupByTopic(moved, (ref) => ({ ...noError, partition: ref.partition })).map(([topic, partitions]) => ({ topic, partitions })) };
        },
        (remote, request) => remote.electLeaders(request),
        (error) => ({ ...toWireError(error), topics: [] }),
      ),
    alterPartitionReassignments: (call, callback) =>
      onController(
        call,
        callback,
        (request) => alterPartitionReassignments(controller, request),
        (remote, request) => remote.alterPartitionReassignments(request),
        (error) => ({ ...toWireError(error), topics: [] }),
      ),
    unregisterBroker: (call, callback) =>
      onController(
        call,
        callback,
        async (request) => {
          await controller.run((core) => core.unregisterBroker(request.brokerId));
          return noError;
        },
        (remote, request) => remote.unregisterBroker(request),
        (error) => toWireError(error),
      ),
    describeLogDirs: (call, callback) => {
      describeLogDirs(context.dataDir, context.localLogs(), call.request).then(
        (response) => callback(null, response),
        (error: unknown) => callback(null, { ...toWireError(asEddyError(error)), logDirs: [] }),
      );
    },
    listPartitionReassignments: (call, callback) => {
      callback(null, listPartitionReassignments(context.image(), call.request));
    },
    describeCluster: (call, callback) => {
      const image = context.image();
      const brokers = [...image.brokers.values()]
        .filter((broker) => call.request.includeFencedBrokers || !broker.fenced)
        .sort((a, b) => a.brokerId - b.brokerId)
        .map((broker) => ({
          brokerId: broker.brokerId,
          host: broker.endpoint.host,
          port: broker.endpoint.port,
          rack: broker.rack ?? '',
          isFenced: broker.fenced,
          inControlledShutdown: broker.inControlledShutdown,
          brokerEpoch: BigInt(broker.brokerEpoch),
          incarnationId: broker.incarnationId,
        }));
      callback(null, { ...noError, clusterId: image.clusterId ?? '', controllerId: context.controllerId(), brokers });
    },
    describeQuorum: (_call, callback) => {
      const local = context.describeQuorum();
      if (local !== undefined) return callback(null, local);
      const remote = context.remoteController();
      const unavailable = (error: EddyError): Wire['DescribeQuorumResponse'] => ({ ...toWireError(error), clusterId: '', leaderId: -1, term: 0n, commitIndex: 0n, voters: [], observers: [] });
      if (remote === undefined) return callback(null, unavailable(toEddyError('QUORUM_NOT_AVAILABLE', 'no quorum leader is known')));
      remote.describeQuorum({}).then(
        (response) => callback(null, response),
        (error: unknown) => callback(null, unavailable(asEddyError(error))),
      );
    },
    addVoter: (call, callback) => {
      void changeVoters(context, { type: 'addVoter', nodeId: call.request.voterId }, (remote) => remote.addVoter(call.request)).then((response) => callback(null, response));
    },
    removeVoter: (call, callback) => {
      void changeVoters(context, { type: 'removeVoter', nodeId: call.request.voterId }, (remote) => remote.removeVoter(call.request)).then((response) => callback(null, response));
    },
    describeConfigs: (call, callback) => {
      const image = context.image();
      callback(null, {
        results: call.request.resources.map((resource) => {
          const result = { resourceType: resource.resourceType, resourceName: resource.resourceName };
          if (resource.resourceType !== 'CONFIG_RESOURCE_TYPE_TOPIC') return { ...toWireError(toEddyError('INVALID_REQUEST', 'only topic configs can be described')), ...result, configs: [] };
          if (image.topic(resource.resourceName) === undefined) {
            return { ...toWireError(toEddyError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${resource.resourceName} does not exist`)), ...result, configs: [] };
          }
          const overrides = image.topicConfigs.get(resource.resourceName);
          const resolved = resolveTopicConfig(overrides) as unknown as Readonly<Record<string, unknown>>;
          const keys = resource.configNames.length > 0 ? resource.configNames.filter(isTopicConfigKey) : (Object.keys(topicConfigDefinitions) as (keyof typeof topicConfigDefinitions)[]);
          const configs = keys.map((key) => {
            const definition = topicConfigDefinitions[key];
            const value = resolved[definition.field];
            return {
              name: key,
              value: typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '',
              readOnly: false,
              source: overrides?.has(key) === true ? ('CONFIG_SOURCE_TOPIC' as const) : ('CONFIG_SOURCE_DEFAULT' as const),
              isSensitive: false,
              synonyms: [],
              documentation: call.request.includeDocumentation ? definition.doc : '',
            };
          });
          return { ...noError, ...result, configs };
        }),
      });
    },
  };
}

/** A voter change runs on the quorum leader; other nodes forward it there. */
async function changeVoters(
  context: AdminContext,
  change: { readonly type: 'addVoter' | 'removeVoter'; readonly nodeId: number },
  forward: (remote: ServiceClient<'AdminService'>) => Promise<Wire['AddVoterResponse']>,
): Promise<Wire['AddVoterResponse']> {
  try {
    const local = context.changeVoters(change);
    if (local !== undefined) {
      await local;
      return noError;
    }
    const remote = context.remoteController();
    if (remote === undefined) return toWireError(toEddyError('QUORUM_NOT_AVAILABLE', 'no quorum leader is known'));
    return await forward(remote);
  } catch (error: unknown) {
    return toWireError(asEddyError(error));
  }
}

async function createTopics(controller: ControllerDriver, request: Wire['CreateTopicsRequest']): Promise<Wire['CreateTopicsResponse']> {
  const requests = request.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.numPartitions,
    replicationFactor: topic.replicationFactor,
    configs: new Map(topic.configs.map((config) => [config.name, config.value] as const)),
    assignments: topic.assignments.map(replicaAssignment),
  }));
  const outcomes = request.validateOnly
    ? await controller.run((core) => ({ records: [], response: core.createTopics(requests).response }))
    : await controller.run((core) => core.createTopics(requests));
  return {
    topics: outcomes.map((outcome) =>
      outcome.error === undefined
        ? { ...noError, name: outcome.name, topicId: outcome.topicId ?? '', numPartitions: outcome.partitions ?? -1, replicationFactor: outcome.replicationFactor ?? -1 }
        : { ...toWireError(outcome.error), name: outcome.name, topicId: '', numPartitions: -1, replicationFactor: -1 },
    ),
  };
}

function replicaAssignment(assignment: Wire['ReplicaAssignment']): ReplicaAssignment {
  return { partition: assignment.partition, replicas: assignment.brokerIds };
}

async function alterPartitionReassignments(
  controller: ControllerDriver,
  request: Wire['AlterPartitionReassignmentsRequest'],
): Promise<Wire['AlterPartitionReassignmentsResponse']> {
  if (request.throttleBytesPerSec > 0n) {
    // Refused rather than ignored: a move the operator believes throttled could swamp the cluster.
    throw toEddyError('INVALID_REQUEST', 'throttling reassignment traffic is not supported yet; run the reassignment without a throttle');
  }
  const requests = request.topics.flatMap((topic) =>
    topic.partitions.map((p) => ({ topic: topic.name, partition: p.partition, replicas: p.cancel ? null : p.replicas })),
  );
  const outcomes = await controller.run((core) => core.alterPartitionReassignments(requests));
  const results = groupByTopic(outcomes, (outcome) => ({ ...(outcome.error === undefined ? noError : toWireError(outcome.error)), partition: outcome.partition }));
  return { ...noError, topics: results.map(([topic, partitions]) => ({ topic, partitions })) };
}

/** Answered from this node's image: the client sends it to the active controller, whose image is the latest. */
function listPartitionReassignments(image: MetadataImage, request: Wire['ListPartitionReassignmentsRequest']): Wire['ListPartitionReassignmentsResponse'] {
  const refs = request.topics.length === 0 ? undefined : request.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
  try {
    const ongoing = groupByTopic(ongoingReassignments(image, refs), (o) => ({
      partition: o.partition,
      replicas: [...o.replicas],
      addingReplicas: [...o.adding],
      removingReplicas: [...o.removing],
    }));
    return { ...noError, topics: ongoing.map(([name, partitions]) => ({ name, partitions })) };
  } catch (error: unknown) {
    return { ...toWireError(asEddyError(error)), topics: [] };
  }
}

/** Per-partition answers grouped by topic, in first-seen topic order. */
function groupByTopic<T extends { readonly topic: string }, R>(items: readonly T[], entry: (item: T) => R): [string, R[]][] {
  const byTopic = new Map<string, R[]>();
  for (const item of items) {
    const list = byTopic.get(item.topic) ?? [];
    list.push(entry(item));
    byTopic.set(item.topic, list);
  }
  return [...byTopic];
}

function asEddyError(error: unknown): EddyError {
  if (error instanceof EddyError) return error;
  return toEddyError('UNKNOWN_SERVER_ERROR', error instanceof Error ? error.message : String(error));
}

