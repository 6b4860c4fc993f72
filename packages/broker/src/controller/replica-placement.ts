import { assert, type Prng } from '@eddy/base';

export interface PlacementBroker {
  readonly brokerId: number;
  readonly rack: string | null;
}

export interface PlacementRequest {
  readonly partitionCount: number;
  readonly replicationFactor: number;
  /** Index of the first new partition (non-zero when adding partitions to a topic). */
  readonly firstPartition?: number;
}

/**
 * Kafka's replica placement: partition p's first replica (its preferred leader) is broker
 * (start + p) mod n, so leaders go round-robin over brokers from a random start; the other
 * replicas follow at a shift that grows by one after every n partitions, so followers spread
 * too. With racks, brokers are interleaved rack by rack and each replica prefers a rack (and
 * then a broker) the partition does not use yet.
 *
 * Returns one replica list per partition, preferred leader first.
 */
export function placeReplicas(brokers: readonly PlacementBroker[], request: PlacementRequest, prng: Prng): number[][] {
  const { partitionCount, replicationFactor } = request;
  assert(replicationFactor >= 1 && replicationFactor <= brokers.length, 'replication factor must fit the brokers');
  assert(partitionCount >= 0, 'partition count must not be negative');
  const sorted = [...brokers].sort((a, b) => a.brokerId - b.brokerId);
  const racked = sorted.every((broker) => broker.rack !== null);
  const ordered = racked ? interleaveByRack(sorted) : sorted;
  const n = ordered.length;
  const startIndex = prng.intBetween(0, n - 1);
  let shift = prng.intBetween(0, n - 1);
  const firstPartition = request.firstPartition ?? 0;
  const assignment: number[][] = [];
  for (let i = 0; i < partitionCount; i++) {
    const p = firstPartition + i;
    if (p > 0 && p % n === 0) shift++;
    const firstIndex = (p + startIndex) % n;
    const replicas = racked
      ? rackAwareReplicas(ordered, firstIndex, shift, replicationFactor)
      : [firstIndex, ...Array.from({ length: replicationFactor - 1 }, (_, j) => followerIndex(firstIndex, shift, j, n))].map(
          (index) => (ordered[index] as PlacementBroker).brokerId,
        );
    assignment.push(replicas);
  }
  return assignment;
}

function followerIndex(firstIndex: number, shift: number, j: number, n: number): number {
  if (n === 1) return firstIndex;
  return (firstIndex + 1 + ((shift + j) % (n - 1))) % n;
}

/** Brokers ordered rack by rack: r1b1, r2b1, r3b1, r1b2, ... so neighbours sit in other racks. */
function interleaveByRack(brokers: readonly PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string, PlacementBroker[]>();
  for (const broker of brokers) {
    const rack = broker.rack as string;
    const list = byRack.get(rack) ?? [];
    list.push(broker);
    byRack.set(rack, list);
  }
  const racks = [...byRack.keys()].sort();
  const out: PlacementBroker[] = [];
  for (let round = 0; out.length < brokers.length; round++) {
    for (const rack of racks) {
      const broker = byRack.get(rack)?.[round];
      if (broker !== undefined) out.push(broker);
    }
  }
  return out;
}

function rackAwareReplicas(ordered: readonly PlacementBroker[], firstIndex: number, shift: number, replicationFactor: number): number[] {
  const n = ordered.length;
  const first = ordered[firstIndex] as PlacementBroker;
  const chosen = [first];
  const racksUsed = new Set([first.rack]);
  const rackCount = new Set(ordered.map((b) => b.rack)).size;
  for (let k = 0; chosen.length < replicationFactor && k < n * 2; k++) {
    const candidate = ordered[followerIndex(firstIndex, shift, k, n)] as PlacementBroker;
    if (chosen.includes(candidate)) continue;
    // Take a new rack while one is left; once every rack holds a replica, any broker will do.
    if (racksUsed.has(candidate.rack) && racksUsed.size < rackCount) continue;
    chosen.push(candidate);
    racksUsed.add(candidate.rack);
    if (racksUsed.size === rackCount) racksUsed.clear();
  }
  for (const broker of ordered) {
    if (chosen.length >= replicationFactor) break;
    if (!chosen.includes(broker)) chosen.push(broker);
  }
  return chosen.map((broker) => broker.brokerId);
}
