/**
 * Test support for code that uses @eddy/client: an in-memory fake cluster served over real gRPC
 * on loopback. Import from `@eddy/client/testing`.
 */
export {
  type FakeBroker,
  type FakeCall,
  FakeCluster,
  type FakeClusterOptions,
  type FakeRecord,
  type FakeTopicSpec,
  type ProduceFault,
  startFakeCluster,
} from './fake-cluster.js';
export { type FakeCommittedOffset, FakeGroupCoordinator, type FakeGroupCoordinatorOptions } from './fake-group-coordinator.js';
