export { InvariantChecker, InvariantViolation } from './invariants.js';
export { type NetworkNode, RaftNetwork, type RaftNetworkOptions } from './raft-network.js';
export {
  describeProfile,
  runSimulation,
  type SimulationFailure,
  type SimulationOptions,
  type SimulationProfile,
  type SimulationResult,
  type SimulationStats,
  simulationProfile,
} from './run-simulation.js';
export { Scheduler } from './scheduler.js';
export { SimCluster, type SimClusterOptions, type SimNode } from './sim-cluster.js';
export { type DiskFaults, SimLogStore, type StoreObserver } from './sim-log-store.js';
export { type NetworkFaults, type NetworkStats, SimNetwork } from './sim-network.js';
export { type ApplyObserver, encodeProposal, proposalIdOf, SimStateMachine } from './sim-state-machine.js';
