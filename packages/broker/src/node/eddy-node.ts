import { type Clock, type Logger, Prng, systemClock } from '@eddy/base';
import type { Endpoint } from '@eddy/metadata';
import { LogManager } from '@eddy/log';
import { loadProtocol, type ServerHandle, startServer, toEddyError } from '@eddy/protocol';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type NodeConfig, isVoter } from '../config/node-config.js';
import { ControllerDriver } from '../controller/controller-driver.js';
import { defaultControllerConfig } from '../controller/controller-core.js';
import { controllerTopicCreator, GroupCoordinator, groupServiceHandlers } from '../group-coordinator/index.js';
import { MetadataLoader } from '../metadata/metadata-loader.js';
import { componentLogger } from '../node-logger.js';
import { MetadataQuorum } from '../quorum/metadata-quorum.js';
import { QuorumReplicationTracker } from '../quorum/quorum-description.js';
import { RaftGrpcTransport } from '../quorum/raft-transport.js';
import { clientDataHandlers, replicationServiceHandlers, ReplicaManager } from '../replication/index.js';
import { adminHandlers } from '../server/admin-handlers.js';
import { controllerHandlers } from '../server/controller-handlers.js';
import { metadataResponse } from '../server/metadata-response.js';
import { BrokerLifecycle } from './broker-lifecycle.js';
import { CatchUpGate } from './catch-up-gate.js';
import { NodeConnections } from './node-connections.js';
import { ProducerIdAllocator } from './producer-ids.js';

export interface EddyNodeOptions {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Seeds every random choice of the node (election jitter, placement); random by default. */
  readonly seed?: number;
}

/** How long a controlled shutdown waits for the controller to move leadership away. */
const CONTROLLED_SHUTDOWN_TIMEOUT_MS = 10_000;
const RAFT_TICK_MS = 50;
const METADATA_SNAPSHOT_EVERY_ENTRIES = 10_000;

/**
 * One Eddy node: a broker, and a controller too when it is a voter of the metadata quorum
 * (combined mode, as KRaft). It serves every gRPC service on one listener, follows the metadata
 * log into a MetadataImage, keeps its broker registration alive, and, while its node leads the
 * quorum, runs the active controller.
 */
export class EddyNode {
  private constructor(
    readonly config: NodeConfig,
    private readonly server: ServerHandle,
    private readonly quorum: MetadataQuorum,
    private readonly loader: MetadataLoader,
    private readonly controller: ControllerDriver,
    private readonly logManager: LogManager,
    private readonly replicaManager: ReplicaManager,
    private readonly groupCoordinator: GroupCoordinator,
    private readonly lifecycle: BrokerLifecycle,
    private readonly connections: NodeConnections,
    private readonly timers: readonly NodeJS.Timeout[],
    private readonly logger: Logger,
  ) {}

  static async start(options: EddyNodeOptions): Promise<EddyNode> {
    const { config } = options;
    const clock = options.clock ?? systemClock;
    const prng = new Prng(options.seed ?? Number.parseInt(randomUUID().slice(0, 8), 16));
    const logger = options.logger;
    const protocol = loadProtocol();
    await mkdir(config.dataDir, { recursive: true });

    const loader = new MetadataLoader();
    const endpointOf = (nodeId: number): Endpoint | undefined => config.controllerQuorum.get(nodeId) ?? loader.image.brokers.get(nodeId)?.endpoint;
    const connections = new NodeConnections(protocol, `eddy-node-${config.nodeId}`, endpointOf);
    const transport = new RaftGrpcTransport({
      nodeId: config.nodeId,
      clientOf: (nodeId) => connections.service(nodeId, 'RaftService'),
      logger: componentLogger(logger, 'raft-transport'),
    });

    let quorum: MetadataQuorum | undefined;
    const controller = new ControllerDriver(
      { append: (data) => quorum?.append(data) },
      prng.fork(),
      {
        ...defaultControllerConfig,
        sessionTimeoutMs: config.brokerSessionTimeoutMs,
        probeSilentBrokersAfterMs: config.brokerProbeAfterMs,
        preferredLeaderCheckIntervalMs: config.leaderImbalanceCheckIntervalMs,
        partitionCountDefault: config.numPartitions,
        replicationFactorDefault: config.defaultReplicationFactor,
      },
      clock,
      componentLogger(logger, 'controller'),
    );
    const tracker = new QuorumReplicationTracker();
    const controllerId = (): number => quorum?.leaderId ?? -1;
    const remoteController = <S extends 'AdminService' | 'ControllerService'>(service: S) => {
      const leader = quorum?.leaderId;
      return leader === undefined || leader === config.nodeId ? undefined : connections.service(leader, service);
    };

    const logManager = new LogManager({ dataDir: config.dataDir }, { clock, logger: componentLogger(logger, 'log') });
    await logManager.openAll();
    logManager.startBackgroundTasks();
    let lifecycle: BrokerLifecycle | undefined;
    const activeController = (): ReturnType<typeof connections.service<'ControllerService'>> => {
      const leader = quorum?.leaderId;
      return leader === undefined ? undefined : connections.service(leader, 'ControllerService');
    };
    const replicaManager = new ReplicaManager({
      nodeId: config.nodeId,
      logManager,
      metadata: loader,
      brokerEpoch: () => lifecycle?.brokerEpoch ?? -1,
      replicationClient: (brokerId) => connections.service(brokerId, 'ReplicationService'),
      controller: {
        alterPartition: async (proposal) => {
          const controllerClient = activeController();
          if (controllerClient === undefined) throw toEddyError('NOT_CONTROLLER', 'no active controller is known');
          const response = await controllerClient.alterPartition({
            brokerId: proposal.brokerId,
            brokerEpoch: BigInt(proposal.brokerEpoch),
            topics: [
              {
                topicId: proposal.topicId,
                partitions: [
                  { partition: proposal.partition, leaderEpoch: proposal.leaderEpoch, partitionEpoch: proposal.partitionEpoch, newIsr: proposal.isrMembers.map((m) => ({ ...m })) },
                ],
              },
            ],
          });
          const result = response.topics[0]?.partitions[0];
          if (response.errorCode !== 'NONE' || result === undefined) {
            return { errorCode: response.errorCode, errorMessage: response.errorMessage, isr: [], partitionEpoch: -1, leaderEpoch: -1 };
          }
          return { errorCode: result.errorCode, errorMessage: result.errorMessage, isr: result.isr, partitionEpoch: result.partitionEpoch, leaderEpoch: result.leaderEpoch };
        },
      },
      clock,
      logger: componentLogger(logger, 'replication'),
      config: { replicaLagTimeMaxMs: config.replicaLagTimeMaxMs },
    });
    const producerIds = new ProducerIdAllocator(config.nodeId, () => lifecycle?.brokerEpoch ?? -1, activeController);
    const groupCoordinator = await GroupCoordinator.open({
      dataDir: config.dataDir,
      offsetsTopic: { partitions: config.offsetsTopicNumPartitions, replicationFactor: config.offsetsTopicReplicationFactor },
      group: {
        groupInitialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
        groupMinSessionTimeoutMs: config.groupMinSessionTimeoutMs,
        groupMaxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
      },
      replicas: replicaManager,
      logs: (topic, partition) => logManager.get(topic, partition),
      metadata: loader,
      createTopic: controllerTopicCreator(controller, () => remoteController('AdminService')),
      isActiveController: () => controller.isActive,
      offsetsRetentionMs: config.offsetsRetentionMinutes * 60_000,
      offsetsRetentionCheckIntervalMs: config.offsetsRetentionCheckIntervalMs,
      clock,
      prng: prng.fork(),
      logger: componentLogger(logger, 'group-coordinator'),
    });

    const server = await startServer({
      protocol,
      host: config.listen.host,
      port: config.listen.port,
      services: {
        RaftService: transport.handlers(),
        ControllerService: controllerHandlers(controller),
        AdminService: adminHandlers({
          controller,
          image: () => loader.image,
          remoteController: () => remoteController('AdminService'),
          controllerId,
          changeVoters: (change) => (quorum?.isLeader === true ? quorum.changeMembership(change) : undefined),
          dataDir: config.dataDir,
          localLogs: () =>
            replicaManager.status().flatMap((replica) => {
              const log = logManager.get(replica.topic, replica.partition);
              return log === undefined ? [] : [{ ...replica, sizeBytes: log.sizeBytes }];
            }),
          describeQuorum: () =>
            quorum?.isLeader === true
              ? tracker.describe(quorum.status(), loader.image.clusterId ?? '', clock.wallMs(), (id) => transport.lastAnswerFrom(id), endpointOf)
              : undefined,
        }),
        ClientService: {
          ...clientDataHandlers(replicaManager),
          metadata: (call, callback) => callback(null, metadataResponse(loader.image, call.request, controllerId())),
          initProducerId: (call, callback) => void producerIds.initProducerId(call.request).then((response) => callback(null, response)),
        },
        ReplicationService: replicationServiceHandlers(replicaManager),
        GroupService: groupServiceHandlers(groupCoordinator, componentLogger(logger, 'group-service')),
      },
    });

    quorum = await MetadataQuorum.start({
      nodeId: config.nodeId,
      directory: join(config.dataDir, '__cluster_metadata'),
      initialVoters: [...config.controllerQuorum.keys()],
      loader,
      transport,
      prng: prng.fork(),
      // The Raft driver binds its own component and node id.
      logger,
      tickMs: RAFT_TICK_MS,
      electionTimeoutMs: config.raftElectionTimeoutMs,
      heartbeatIntervalMs: config.raftHeartbeatIntervalMs,
      snapshotEveryEntries: METADATA_SNAPSHOT_EVERY_ENTRIES,
      onLeadership: (event) => (event.type === 'ready' ? controller.activate(loader.image) : controller.deactivate()),
    });
    const startedQuorum = quorum;

    // Replicas and coordinators start once the broker's metadata has caught up with its own
    // registration, never from replayed metadata alone (see CatchUpGate).
    const catchUp = new CatchUpGate(
      () => lifecycle?.brokerEpoch ?? -1,
      () => loader.image.offset,
      () => {
        stopWatchingCatchUp();
        // Before the replicas: the coordinator learns of __consumer_offsets roles only as they change.
        groupCoordinator.start();
        replicaManager.start();
        logger.info({ metadataOffset: loader.image.offset }, 'metadata caught up with the registration: serving partitions');
      },
    );
    const stopWatchingCatchUp = loader.subscribe(() => catchUp.check());
    const voterIds = [...config.controllerQuorum.keys()];
    let registrationAttempts = 0;
    lifecycle = new BrokerLifecycle({
      nodeId: config.nodeId,
      incarnationId: randomUUID(),
      endpoint: config.advertised,
      rack: config.rack,
      // A node outside the quorum learns of the leader only once it receives the metadata log,
      // which needs its registration first: until then it tries the voters in turn (the others
      // answer NOT_CONTROLLER).
      controller: () => {
        const leader = startedQuorum.leaderId ?? voterIds[registrationAttempts++ % voterIds.length];
        return leader === undefined ? undefined : connections.service(leader, 'ControllerService');
      },
      metadataOffset: () => loader.image.offset,
      onRegistered: () => catchUp.check(),
      heartbeatIntervalMs: config.brokerHeartbeatIntervalMs,
      logger: componentLogger(logger, 'broker-lifecycle'),
    });
    lifecycle.start();

    // The quorum leader tracks followers for `quorum describe`, and adds every registered
    // broker that is not a voter as an observer, so it receives the metadata log.
    const quorumDuties = setInterval(() => {
      if (!startedQuorum.isLeader) return;
      const status = startedQuorum.status();
      tracker.sample(status, clock.wallMs());
      const members = new Set([...status.membership.voters, ...status.membership.observers]);
      const missing = [...loader.image.brokers.keys()].find((brokerId) => !members.has(brokerId));
      if (missing !== undefined) {
        startedQuorum.changeMembership({ type: 'addObserver', nodeId: missing }).catch((error: unknown) => logger.debug({ err: error, nodeId: missing }, 'adding an observer failed'));
      }
    }, RAFT_TICK_MS * 2);
    quorumDuties.unref();

    logger.info({ listen: server.address, voter: isVoter(config), dataDir: config.dataDir }, 'node started');
    return new EddyNode(config, server, startedQuorum, loader, controller, logManager, replicaManager, groupCoordinator, lifecycle, connections, [quorumDuties], logger);
  }

  get address(): string {
    return this.server.address;
  }

  get metadataImage() {
    return this.loader.image;
  }

  get brokerState() {
    return this.lifecycle.state;
  }

  get isActiveController(): boolean {
    return this.controller.isActive;
  }

  get quorumLeaderId(): number | undefined {
    return this.quorum.leaderId;
  }

  /**
   * A clean stop (SIGTERM): a controlled shutdown moves leadership off this broker first, then
   * every component stops and the listener closes.
   */
  async stop(): Promise<void> {
    const granted = await this.lifecycle.controlledShutdown(CONTROLLED_SHUTDOWN_TIMEOUT_MS);
    if (!granted) this.logger.warn('controlled shutdown timed out; stopping anyway');
    await this.close();
  }

  /** Stops at once, without telling the controller (tests of abrupt failure use this). */
  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.lifecycle.stop();
    this.controller.deactivate();
    await this.groupCoordinator.close();
    await this.replicaManager.close();
    await this.quorum.stop();
    this.connections.close();
    await this.server.close(1_000);
    await this.logManager.close();
    this.logger.info('node stopped');
  }
}
