import { type Messages, noError, type ServiceHandlers, toEddyError, toWireError } from '@eddy/protocol';
import type { ControllerDriver } from '../controller/controller-driver.js';

/**
 * ControllerService on every node. Only the active controller decides; any other node answers
 * NOT_CONTROLLER and the broker retries with the quorum leader.
 */
export function controllerHandlers(controller: ControllerDriver): Partial<ServiceHandlers<'ControllerService'>> {
  return {
    registerBroker: (call, callback) => {
      const request = call.request;
      controller
        .run((core, nowMs) =>
          core.registerBroker(
            { brokerId: request.brokerId, incarnationId: request.incarnationId, endpoint: { host: request.host, port: request.port }, rack: request.rack === '' ? null : request.rack },
            nowMs,
          ),
        )
        .then(
          ({ brokerEpoch }) => callback(null, { ...noError, brokerEpoch: BigInt(brokerEpoch) }),
          (error: unknown) => callback(null, { ...toWireError(error), brokerEpoch: -1n }),
        );
    },
    brokerHeartbeat: (call, callback) => {
      const request = call.request;
      controller
        .run((core, nowMs) =>
          core.brokerHeartbeat(
            {
              brokerId: request.brokerId,
              brokerEpoch: Number(request.brokerEpoch),
              metadataOffset: Number(request.currentMetadataOffset),
              wantFence: request.wantFence,
              wantShutdown: request.wantShutdown,
            },
            nowMs,
          ),
        )
        .then(
          (response) => callback(null, { ...noError, ...response }),
          (error: unknown) => callback(null, { ...toWireError(error), isCaughtUp: false, isFenced: true, shouldShutdown: false }),
        );
    },
    alterPartition: (call, callback) => {
      void alterPartitions(controller, call.request).then((response) => callback(null, response));
    },
    allocateProducerIds: (call, callback) => {
      const request = call.request;
      controller.run((core) => core.allocateProducerIds(request.brokerId, Number(request.brokerEpoch))).then(
        ({ firstProducerId, count }) => callback(null, { ...noError, producerIdStart: BigInt(firstProducerId), producerIdCount: count }),
        (error: unknown) => callback(null, { ...toWireError(error), producerIdStart: -1n, producerIdCount: 0 }),
      );
    },
  };
}

async function alterPartitions(controller: ControllerDriver, request: Messages['AlterPartitionRequest']): Promise<Messages['AlterPartitionResponse']> {
  if (!controller.isActive) return { ...toWireError(toEddyError('NOT_CONTROLLER')), topics: [] };
  const topics = await Promise.all(
    request.topics.map(async (topic) => ({
      topicId: topic.topicId,
      partitions: await Promise.all(
        topic.partitions.map(async (data): Promise<Messages['AlterPartitionDataResult']> => {
          try {
            const partition = await controller.run((core) =>
              core.alterPartition({
                brokerId: request.brokerId,
                brokerEpoch: Number(request.brokerEpoch),
                topicId: topic.topicId,
                partition: data.partition,
                leaderEpoch: data.leaderEpoch,
                partitionEpoch: data.partitionEpoch,
                isr: data.newIsr.map((member) => member.brokerId),
              }),
            );
            return { ...noError, partition: data.partition, leaderId: partition.leader, leaderEpoch: partition.leaderEpoch, isr: [...partition.isr], partitionEpoch: partition.partitionEpoch };
          } catch (error: unknown) {
            return { ...toWireError(error), partition: data.partition, leaderId: -1, leaderEpoch: -1, isr: [], partitionEpoch: -1 };
          }
        }),
      ),
    })),
  );
  return { ...noError, topics };
}
