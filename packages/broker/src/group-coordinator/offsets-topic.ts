import { EddyError } from '@eddy/base';
import type { MetadataImage } from '@eddy/metadata';
import { fromWireError, type ServiceClient, toEddyError } from '@eddy/protocol';
import type { CreateTopicRequest } from '../controller/controller-core.js';
import type { ControllerDriver } from '../controller/controller-driver.js';
import { groupCoordinatorLimits } from './limits.js';

/** The internal topic holding committed offsets and group metadata. */
export const OFFSETS_TOPIC = '__consumer_offsets';

/** How __consumer_offsets is created: Kafka's offsets.topic.* settings. */
export interface OffsetsTopicSettings {
  /** offsets.topic.num.partitions. */
  readonly partitions: number;
  /** offsets.topic.replication.factor (capped at the live brokers when created on demand). */
  readonly replicationFactor: number;
}

/**
 * The creation request for __consumer_offsets, or undefined when it should not be created yet.
 *
 * - `'eager'` (the active controller, on its own): only once as many brokers are live as the
 *   configured replication factor, so a cluster that is still starting gets a fully replicated
 *   topic.
 * - `'demand'` (a FindCoordinator found no topic): with the brokers that are live, at most the
 *   configured factor, as Kafka's auto-creation does; a single-node cluster works at once.
 *
 * Configs: no time or size retention, because compaction does not exist yet and the log is the
 * only copy a new replica can rebuild its group state from (the growth this implies is the
 * price, see the note in group-coordinator.ts); min.insync.replicas 2 with three replicas or
 * more, so an acknowledged commit survives the loss of any one broker.
 */
export function offsetsTopicCreation(settings: OffsetsTopicSettings, image: MetadataImage, mode: 'eager' | 'demand'): CreateTopicRequest | undefined {
  if (image.topic(OFFSETS_TOPIC) !== undefined) return undefined;
  const live = image.liveBrokers().filter((broker) => !broker.inControlledShutdown).length;
  if (live === 0) return undefined;
  if (mode === 'eager' && live < settings.replicationFactor) return undefined;
  const replicationFactor = Math.min(settings.replicationFactor, live);
  return {
    name: OFFSETS_TOPIC,
    partitions: settings.partitions,
    replicationFactor,
    configs: new Map([
      ['retention.ms', '-1'],
      ['retention.bytes', '-1'],
      ['segment.bytes', String(groupCoordinatorLimits.offsetsTopicSegmentBytes)],
      ['max.message.bytes', String(groupCoordinatorLimits.offsetsTopicMaxMessageBytes)],
      ['min.insync.replicas', replicationFactor >= 3 ? '2' : '1'],
    ]),
  };
}

/** Creates a topic through the active controller, wherever it runs. */
export type TopicCreator = (request: CreateTopicRequest) => Promise<void>;

/**
 * A TopicCreator for a node: runs the creation on the local controller when it is the active
 * one, and forwards an AdminService.CreateTopics to the active controller otherwise (as the
 * admin handlers do). TOPIC_ALREADY_EXISTS counts as success.
 */
export function controllerTopicCreator(controller: ControllerDriver, remoteController: () => ServiceClient<'AdminService'> | undefined): TopicCreator {
  return async (request) => {
    if (controller.isActive) {
      const [outcome] = await controller.run((core) => core.createTopics([request]));
      if (outcome?.error !== undefined && outcome.error.code !== 'TOPIC_ALREADY_EXISTS') throw outcome.error;
      return;
    }
    const remote = remoteController();
    if (remote === undefined) throw toEddyError('NOT_CONTROLLER', 'no active controller is known');
    const response = await remote.createTopics({
      topics: [
        {
          name: request.name,
          numPartitions: request.partitions,
          replicationFactor: request.replicationFactor,
          assignments: [],
          configs: [...request.configs].map(([name, value]) => ({ name, value })),
        },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    const result = response.topics.find((topic) => topic.name === request.name);
    if (result === undefined) throw new EddyError('UNKNOWN_SERVER_ERROR', `CreateTopics did not answer for ${request.name}`);
    const error = fromWireError(result);
    if (error !== undefined && error.code !== 'TOPIC_ALREADY_EXISTS') throw error;
  };
}
