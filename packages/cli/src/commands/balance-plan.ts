import { EddyError } from '@eddy/base';
import type { PlacementBroker } from '@eddy/broker';
import type { PartitionReplicas } from './reassignment-json.js';

/**
 * Planners of `eddy rebalance` and `eddy brokers decommission`: pure functions from the
 * cluster's assignment to the reassignments that even it out or empty one broker. They only
 * plan; applying a plan (in bounded waves) is reassignment-waves.ts' job.
 */

/** A partition as the planners see it: its target replicas (preferred leader first), leader and ISR. */
export interface PartitionLayout extends PartitionReplicas {
  /** -1 without a leader. */
  readonly leader: number;
  readonly isr: readonly number[];
}

/** One change of a plan: `replicas` become `newReplicas` (a reorder only moves the preferred leader). */
export interface PlannedChange {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly newReplicas: readonly number[];
}

export interface BrokerLoad {
  readonly brokerId: number;
  readonly rack: string | null;
  /** Replicas on this broker. */
  readonly replicas: number;
  /** Partitions this broker is the preferred leader (first replica) of. */
  readonly leaders: number;
}

export interface BalancePlan {
  readonly changes: readonly PlannedChange[];
  readonly before: readonly BrokerLoad[];
  readonly after: readonly BrokerLoad[];
  /** Partitions whose leader is not their (new) preferred replica, though that one could lead. */
  readonly leaderElections: number;
}

/** The brokers that get a copy of the partition: the replicas that move. */
export function addedReplicas(change: PlannedChange): number[] {
  return change.newReplicas.filter((id) => !change.replicas.includes(id));
}

/** Whether the change copies data (the replica set changes) rather than only reordering it. */
export function movesData(change: PlannedChange): boolean {
  return change.newReplicas.length !== change.replicas.length || addedReplicas(change).length > 0;
}

export function isBalanced(plan: BalancePlan): boolean {
  return plan.changes.length === 0 && plan.leaderElections === 0;
}

/**
 * Evens out replica counts, then preferred-leader counts, over `brokers` (the live, unfenced
 * ones) with as few replica moves as it can: each move takes a replica from the most loaded
 * broker that has one to give to the least loaded broker that can take it, until no two
 * brokers differ by more than one (or no move is allowed). A move never puts two replicas of a
 * partition on one broker nor lowers the number of racks a partition spans. Partitions with a
 * replica outside `brokers` (down, fenced, leaving) or out of sync are counted but not moved. Leadership is
 * then evened out by reordering replicas, which copies no data. Deterministic: ties go to
 * the lower broker id.
 */
export function planRebalance(partitions: readonly PartitionLayout[], brokers: readonly PlacementBroker[]): BalancePlan {
  const layout = new Layout(partitions, brokers);
  const before = layout.loads();
  // Only fully in-sync partitions move: dropping a replica of a lagging one could leave it a single in-sync copy.
  const movable = new Set(layout.entries.filter((entry) => entry.replicas.every((id) => layout.isEligible(id) && entry.isr.includes(id))));
  const movesMax = [...movable].reduce((sum, entry) => sum + entry.replicas.length, 0);
  for (let moves = 0; moves < movesMax; moves++) {
    if (!moveOneReplica(layout, movable)) break;
  }
  const swapsMax = partitions.length;
  for (let swaps = 0; swaps < swapsMax; swaps++) {
    if (!moveOnePreferredLeader(layout, movable)) break;
  }
  return layout.plan(before);
}

/**
 * Moves every replica off `brokerId`: each takes its place in its partition's replica list on
 * the broker of `brokers` (the live ones) that keeps the most racks in the partition and holds
 * the fewest replicas (then the fewest preferred leaderships when it becomes the preferred
 * leader). The replication factor never drops: a partition that finds no broker to go to
 * fails the whole plan with INVALID_REPLICATION_FACTOR.
 */
export function planDecommission(partitions: readonly PartitionLayout[], brokers: readonly PlacementBroker[], brokerId: number): BalancePlan {
  const remaining = brokers.filter((broker) => broker.brokerId !== brokerId);
  const layout = new Layout(partitions, remaining);
  const before = layout.loads();
  const affected = layout.entries.filter((entry) => entry.replicas.includes(brokerId));
  const replicationFactorMax = Math.max(0, ...affected.map((entry) => entry.replicas.length));
  if (replicationFactorMax > remaining.length) {
    const widest = affected.find((entry) => entry.replicas.length === replicationFactorMax);
    throw new EddyError(
      'INVALID_REPLICATION_FACTOR',
      `partition ${widest?.topic}-${widest?.partition} has ${replicationFactorMax} replicas, but only ${remaining.length} live broker(s) other than ${brokerId} can hold them`,
    );
  }
  for (const entry of affected) {
    const position = entry.replicas.indexOf(brokerId);
    const others = entry.replicas.filter((id) => id !== brokerId);
    const candidates = remaining.filter((broker) => !entry.replicas.includes(broker.brokerId));
    const best = minBy(candidates, (broker) => [
      -layout.rackCount([...others, broker.brokerId]),
      layout.replicaCount(broker.brokerId),
      position === 0 ? layout.leaderCount(broker.brokerId) : 0,
      broker.brokerId,
    ]);
    if (best === undefined) {
      throw new EddyError('INVALID_REPLICATION_FACTOR', `partition ${entry.topic}-${entry.partition} has no live broker left to move its replica on broker ${brokerId} to`);
    }
    layout.replace(entry, brokerId, best.brokerId);
  }
  return layout.plan(before);
}

/** Moves one replica from a loaded broker to a light one; false when no move helps. */
function moveOneReplica(layout: Layout, movable: ReadonlySet<Entry>): boolean {
  const byLoad = [...layout.brokers].sort((a, b) => layout.replicaCount(b.brokerId) - layout.replicaCount(a.brokerId) || a.brokerId - b.brokerId);
  for (const source of byLoad) {
    for (let t = byLoad.length - 1; t >= 0; t--) {
      const target = byLoad[t] as PlacementBroker;
      if (layout.replicaCount(source.brokerId) - layout.replicaCount(target.brokerId) < 2) break;
      // A follower moves without disturbing leadership; a preferred leader only when no follower can.
      let leading: Entry | undefined;
      let chosen: Entry | undefined;
      for (const entry of layout.entriesOn(source.brokerId)) {
        if (!movable.has(entry) || entry.replicas.includes(target.brokerId) || !layout.keepsRacks(entry, source.brokerId, target.brokerId)) continue;
        if (entry.replicas[0] !== source.brokerId) {
          chosen = entry;
          break;
        }
        leading ??= entry;
      }
      chosen ??= leading;
      if (chosen === undefined) continue;
      layout.replace(chosen, source.brokerId, target.brokerId);
      return true;
    }
  }
  return false;
}

/** Makes another replica the preferred leader of one partition of a broker that prefers too many; false when none helps. */
function moveOnePreferredLeader(layout: Layout, movable: ReadonlySet<Entry>): boolean {
  const byLeaders = [...layout.brokers].sort((a, b) => layout.leaderCount(b.brokerId) - layout.leaderCount(a.brokerId) || a.brokerId - b.brokerId);
  for (const source of byLeaders) {
    for (let t = byLeaders.length - 1; t >= 0; t--) {
      const target = byLeaders[t] as PlacementBroker;
      if (layout.leaderCount(source.brokerId) - layout.leaderCount(target.brokerId) < 2) break;
      for (const entry of layout.entriesOn(source.brokerId)) {
        if (movable.has(entry) && entry.replicas[0] === source.brokerId && entry.replicas.includes(target.brokerId) && layout.canLead(entry, target.brokerId)) {
          layout.prefer(entry, target.brokerId);
          return true;
        }
      }
    }
  }
  return false;
}

interface Entry {
  readonly topic: string;
  readonly partition: number;
  readonly original: readonly number[];
  replicas: number[];
  readonly leader: number;
  readonly isr: readonly number[];
}

/** The assignment being planned, with replica and preferred-leader counts kept up to date. */
class Layout {
  readonly entries: Entry[];
  private readonly replicasOf = new Map<number, number>();
  private readonly leadersOf = new Map<number, number>();
  /** The entries with a replica on each eligible broker. */
  private readonly entriesOf = new Map<number, Set<Entry>>();
  private readonly rackOf: ReadonlyMap<number, string>;

  constructor(
    partitions: readonly PartitionLayout[],
    readonly brokers: readonly PlacementBroker[],
  ) {
    this.entries = [...partitions]
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
      .map((p) => ({ topic: p.topic, partition: p.partition, original: p.replicas, replicas: [...p.replicas], leader: p.leader, isr: p.isr }));
    for (const broker of brokers) {
      this.replicasOf.set(broker.brokerId, 0);
      this.leadersOf.set(broker.brokerId, 0);
      this.entriesOf.set(broker.brokerId, new Set());
    }
    for (const entry of this.entries) this.count(entry, 1);
    // Racks count only when every broker has one, as in the controller's placement.
    const racked = brokers.length > 0 && brokers.every((broker) => broker.rack !== null);
    this.rackOf = new Map(racked ? brokers.map((broker) => [broker.brokerId, broker.rack ?? '']) : []);
  }

  isEligible(brokerId: number): boolean {
    return this.replicasOf.has(brokerId);
  }

  entriesOn(brokerId: number): ReadonlySet<Entry> {
    return this.entriesOf.get(brokerId) ?? new Set();
  }

  replicaCount(brokerId: number): number {
    return this.replicasOf.get(brokerId) ?? 0;
  }

  leaderCount(brokerId: number): number {
    return this.leadersOf.get(brokerId) ?? 0;
  }

  /** Distinct racks of `replicas` (each broker without a known rack counts as its own). */
  rackCount(replicas: readonly number[]): number {
    return new Set(replicas.map((id) => this.rackOf.get(id) ?? `broker:${id}`)).size;
  }

  keepsRacks(entry: Entry, from: number, to: number): boolean {
    return this.rackCount(entry.replicas.map((id) => (id === from ? to : id))) >= this.rackCount(entry.replicas);
  }

  /** A replica can lead after an election when it is new (it joins the ISR before the move completes) or in sync now. */
  canLead(entry: Entry, brokerId: number): boolean {
    return !entry.original.includes(brokerId) || entry.isr.includes(brokerId);
  }

  replace(entry: Entry, from: number, to: number): void {
    this.count(entry, -1);
    entry.replicas = entry.replicas.map((id) => (id === from ? to : id));
    this.count(entry, 1);
  }

  prefer(entry: Entry, brokerId: number): void {
    this.count(entry, -1);
    entry.replicas = [brokerId, ...entry.replicas.filter((id) => id !== brokerId)];
    this.count(entry, 1);
  }

  loads(): BrokerLoad[] {
    return [...this.brokers]
      .sort((a, b) => a.brokerId - b.brokerId)
      .map((broker) => ({ brokerId: broker.brokerId, rack: broker.rack, replicas: this.replicaCount(broker.brokerId), leaders: this.leaderCount(broker.brokerId) }));
  }

  plan(before: readonly BrokerLoad[]): BalancePlan {
    const changes = this.entries
      .filter((entry) => entry.replicas.join() !== entry.original.join())
      .map((entry) => ({ topic: entry.topic, partition: entry.partition, replicas: entry.original, newReplicas: entry.replicas }));
    const leaderElections = this.entries.filter((entry) => {
      const preferred = entry.replicas[0];
      return preferred !== undefined && preferred !== entry.leader && this.isEligible(preferred) && this.canLead(entry, preferred);
    }).length;
    return { changes, before, after: this.loads(), leaderElections };
  }

  private count(entry: Entry, delta: 1 | -1): void {
    for (const id of entry.replicas) {
      const onBroker = this.entriesOf.get(id);
      if (onBroker === undefined) continue;
      if (delta > 0) onBroker.add(entry);
      else onBroker.delete(entry);
      this.replicasOf.set(id, this.replicaCount(id) + delta);
    }
    const preferred = entry.replicas[0];
    if (preferred !== undefined && this.leadersOf.has(preferred)) this.leadersOf.set(preferred, this.leaderCount(preferred) + delta);
  }
}

/** The item with the smallest key (compared element by element); undefined for none. */
function minBy<T>(items: readonly T[], key: (item: T) => readonly number[]): T | undefined {
  let best: { item: T; key: readonly number[] } | undefined;
  for (const item of items) {
    const k = key(item);
    if (best === undefined || compareKeys(k, best.key) < 0) best = { item, key: k };
  }
  return best?.item;
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
