import type { Message } from '../core/messages.js';
import type { Entry, HardState, PersistedState, Snapshot } from '../core/types.js';

/**
 * Durable Raft state: the log, the hard state and the latest snapshot. Writes are buffered and
 * take effect in call order; nothing is durable until `sync()` resolves, and a crash may keep
 * any prefix of the unsynced writes (a torn tail) but never a later write without an earlier
 * one. The driver syncs before it sends a message that depends on a write.
 */
export interface RaftLogStore {
  /** Everything durable, as of the last completed sync (at start, before any write). */
  load(): Promise<PersistedState>;
  /** A snapshot from the leader: replaces the snapshot and the whole log. */
  installSnapshot(snapshot: Snapshot): void;
  /** A snapshot the application took: replaces the snapshot and drops the entries it covers. */
  saveSnapshot(snapshot: Snapshot): void;
  /** Drops every entry at or after `index`. */
  truncateFrom(index: number): void;
  /** Appends entries that continue the log exactly. */
  append(entries: readonly Entry[]): void;
  setHardState(hardState: HardState): void;
  /** Makes every write so far durable (fsync). A rejection is a storage failure: fatal. */
  sync(): Promise<void>;
}

/** Carries messages between nodes. Delivery is best effort: messages may be lost, late or repeated. */
export interface Transport {
  /** Queues a message for sending; never blocks and never throws for a network failure. */
  send(message: Message): void;
  /** Registers the handler for messages addressed to this node. */
  onMessage(handler: (message: Message) => void): void;
}

/** The replicated application, fed committed entries in log order. */
export interface StateMachine {
  /** Applies one committed entry (every kind; most applications ignore noop and membership). */
  apply(entry: Entry): void;
  /** An image of the state as of the last applied entry. */
  snapshot(): Uint8Array;
  /** Replaces the state with a snapshot's image. */
  restore(snapshot: Snapshot): void;
}

/** Calls `onTick` at a fixed interval (the unit of every Raft timeout). */
export interface Ticker {
  start(onTick: () => void): void;
  stop(): void;
}
