import { hasQuorum, majorityValue } from '../quorum/majority.js';
import type { NodeId } from '../core/types.js';
import { Progress } from './progress.js';

/**
 * The leader's view of every member (itself included): one Progress per voter and observer.
 * Quorum questions are always asked over the voters of the membership in force, so observers
 * receive the log but never count.
 */
export class ProgressTracker {
  private readonly progress = new Map<NodeId, Progress>();

  constructor(
    private readonly inflightCountMax: number,
    private readonly inflightBytesMax: number,
  ) {}

  get size(): number {
    return this.progress.size;
  }

  get(id: NodeId): Progress | undefined {
    return this.progress.get(id);
  }

  ids(): IterableIterator<NodeId> {
    return this.progress.keys();
  }

  entries(): IterableIterator<[NodeId, Progress]> {
    return this.progress.entries();
  }

  /** Tracks exactly these nodes: new ones start probing just after `lastIndex`; others are forgotten. */
  sync(ids: ReadonlySet<NodeId>, lastIndex: number): void {
    for (const id of [...this.progress.keys()]) if (!ids.has(id)) this.progress.delete(id);
    for (const id of ids) {
      if (!this.progress.has(id)) this.progress.set(id, new Progress(lastIndex + 1, this.inflightCountMax, this.inflightBytesMax));
    }
  }

  /** The highest index stored on a majority of voters. */
  committedIndex(voters: readonly NodeId[]): number {
    return majorityValue(voters, (id) => this.progress.get(id)?.match);
  }

  /** The highest ReadIndex round a majority of voters confirmed. */
  readRoundConfirmed(voters: readonly NodeId[]): number {
    return majorityValue(voters, (id) => this.progress.get(id)?.readRoundAcked);
  }

  /** Whether a majority of voters (the leader counts itself) was heard from recently. */
  isQuorumActive(voters: readonly NodeId[], self: NodeId): boolean {
    return hasQuorum(voters, (id) => id === self || this.progress.get(id)?.recentActive === true);
  }

  resetRecentActive(): void {
    for (const progress of this.progress.values()) progress.recentActive = false;
  }
}
