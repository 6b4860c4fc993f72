import type { Prng } from '@eddy/base';
import type { Message } from '../core/messages.js';
import type { NodeId } from '../core/types.js';
import type { Transport } from '../driver/interfaces.js';
import type { Scheduler } from './scheduler.js';

/** How the simulated network misbehaves; every rate is a probability per message. */
export interface NetworkFaults {
  lossRate: number;
  duplicateRate: number;
  /** Each delivery (and each duplicate) takes a uniform delay in [delayMinMs, delayMaxMs]: reordering. */
  delayMinMs: number;
  delayMaxMs: number;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
}

/**
 * A lossy, reordering, duplicating network over the scheduler. Links are directed, so a
 * partition can be symmetric (both directions cut) or asymmetric (one direction only); a
 * message is dropped when its link is cut at send time or at delivery time, or when its target
 * is down.
 */
export class SimNetwork {
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };
  private readonly handlers = new Map<NodeId, (message: Message) => void>();
  private readonly cut = new Set<string>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly prng: Prng,
    public faults: NetworkFaults,
  ) {}

  /** A Transport for one incarnation of a node; detach it when the node crashes. */
  transport(id: NodeId): Transport & { detach(): void } {
    let attached = true;
    return {
      send: (message) => {
        if (attached) this.send(message);
      },
      onMessage: (handler) => {
        if (attached) this.handlers.set(id, handler);
      },
      detach: () => {
        attached = false;
        this.handlers.delete(id);
      },
    };
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(link(from, to));
  }

  /** Cuts every link between the two groups, both ways. */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.cut.add(link(x, y));
        this.cut.add(link(y, x));
      }
    }
  }

  heal(): void {
    this.cut.clear();
  }

  get cutLinks(): number {
    return this.cut.size;
  }

  private send(message: Message): void {
    this.stats.sent++;
    if (this.cut.has(link(message.from, message.to)) || this.prng.chance(this.faults.lossRate)) {
      this.stats.dropped++;
      return;
    }
    this.scheduleDelivery(message);
    if (this.prng.chance(this.faults.duplicateRate)) {
      this.stats.duplicated++;
      this.scheduleDelivery(message);
    }
  }

  private scheduleDelivery(message: Message): void {
    const delay = this.prng.intBetween(this.faults.delayMinMs, this.faults.delayMaxMs);
    this.scheduler.schedule(delay, () => {
      const handler = this.handlers.get(message.to);
      if (handler === undefined || this.cut.has(link(message.from, message.to))) {
        this.stats.dropped++;
        return;
      }
      this.stats.delivered++;
      handler(message);
    });
  }
}

function link(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}
