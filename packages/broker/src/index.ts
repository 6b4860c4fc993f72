export { formatEndpoint, parseEndpoint, parseQuorumVoters } from './config/endpoint.js';
export { isVoter, type NodeConfig, nodeConfigDefaults, nodeSettings, parseProperties, resolveNodeConfig } from './config/node-config.js';
export { EddyNode, type EddyNodeOptions } from './node/eddy-node.js';
export { componentLogger, createNodeLogger, type NodeLoggerOptions } from './node-logger.js';
export { defaultTopicConfig, resolveTopicConfig, type TopicConfig, topicConfigDefinitions } from './topic-config.js';
export { coordinatorPartitionFor } from './group/index.js';
export { OFFSETS_TOPIC } from './group-coordinator/index.js';
export { type PlacementBroker, placeReplicas } from './controller/replica-placement.js';
