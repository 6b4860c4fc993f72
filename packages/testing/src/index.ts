export { freeLoopbackPorts } from './free-ports.js';
export { type ClusterNode, type StartClusterOptions, startCluster, type TestCluster } from './start-cluster.js';
export { waitFor } from './wait-for.js';
