/**
 * The group coordinator adapter: runs the pure GroupManager (../group) on a node, with
 * __consumer_offsets as its replicated log and LevelDB (../group-store) as its materialized state.
 */
export { CONSUMER_PROTOCOL_TYPE, mayConsume, subscribedTopics } from './consumer-subscription.js';
export { GroupCoordinator, type GroupCoordinatorOptions, type OffsetsReplicas } from './group-coordinator.js';
export { groupServiceHandlers, peerHost } from './group-service-handlers.js';
export { groupCoordinatorLimits } from './limits.js';
export { decodeOffsetsRecords, type DecodedOffsetsRecords, encodeOffsetsWrite, type EncodedWrite } from './offsets-batches.js';
export { type OffsetsLogView, OffsetsMaterializer, type OffsetsMaterializerDeps } from './offsets-materializer.js';
export { controllerTopicCreator, OFFSETS_TOPIC, offsetsTopicCreation, type OffsetsTopicSettings, type TopicCreator } from './offsets-topic.js';
