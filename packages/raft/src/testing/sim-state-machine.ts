import { assert } from '@eddy/base';
import type { Entry, NodeId, Snapshot } from '../core/types.js';
import type { StateMachine } from '../driver/interfaces.js';

export interface ApplyObserver {
  /** `entry` was applied after `previousIndex`; `hash` is the state after it. */
  onApply(nodeId: NodeId, entry: Entry, previousIndex: number, hash: number): void;
  /** The state was replaced by a snapshot at `index` whose state hashes to `hash`. */
  onRestore(nodeId: NodeId, index: number, hash: number): void;
}

/**
 * The simulator's replicated application: a hash chain over every applied entry plus the list
 * of proposal ids applied. Two replicas with the same hash at an index applied the same entries
 * in the same order; the id list makes snapshots large enough to need several chunks.
 */
export class SimStateMachine implements StateMachine {
  private index = 0;
  private hash = 0x811c9dc5;
  private ids: number[] = [];

  constructor(
    readonly nodeId: NodeId,
    private readonly observer: ApplyObserver,
  ) {}

  get appliedIndex(): number {
    return this.index;
  }

  get proposalIds(): readonly number[] {
    return this.ids;
  }

  apply(entry: Entry): void {
    const previous = this.index;
    this.hash = mixEntry(this.hash, entry);
    this.index = entry.index;
    if (entry.kind === 'normal') this.ids.push(proposalIdOf(entry.data));
    this.observer.onApply(this.nodeId, entry, previous, this.hash);
  }

  snapshot(): Uint8Array {
    const bytes = new Uint8Array(12 + 4 * this.ids.length);
    const view = new DataView(bytes.buffer);
    view.setFloat64(0, this.index);
    view.setUint32(8, this.hash);
    this.ids.forEach((id, i) => view.setUint32(12 + 4 * i, id));
    return bytes;
  }

  restore(snapshot: Snapshot): void {
    const { data } = snapshot;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    assert(data.byteLength >= 12 && (data.byteLength - 12) % 4 === 0, `malformed simulator snapshot of ${data.byteLength} bytes`);
    this.index = view.getFloat64(0);
    assert(this.index === snapshot.meta.index, `snapshot data is at ${this.index}, its metadata at ${snapshot.meta.index}`);
    this.hash = view.getUint32(8);
    this.ids = [];
    for (let at = 12; at < data.byteLength; at += 4) this.ids.push(view.getUint32(at));
    this.observer.onRestore(this.nodeId, this.index, this.hash);
  }
}

/** A proposal's payload: its id, then filler bytes derived from it (sizes vary, content checks). */
export function encodeProposal(id: number, fillerBytes: number): Uint8Array {
  const bytes = new Uint8Array(4 + fillerBytes);
  new DataView(bytes.buffer).setUint32(0, id);
  for (let i = 0; i < fillerBytes; i++) bytes[4 + i] = (id * 31 + i) & 0xff;
  return bytes;
}

export function proposalIdOf(data: Uint8Array): number {
  assert(data.byteLength >= 4, 'proposal payload too short');
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
}

/** FNV-1a over the entry's position, kind and bytes, chained onto the previous hash. */
export function mixEntry(hash: number, entry: Entry): number {
  let h = hash;
  h = mixNumber(h, entry.index);
  h = mixNumber(h, entry.term);
  h = mixByte(h, entry.kind === 'normal' ? 1 : entry.kind === 'noop' ? 2 : 3);
  for (const byte of entry.data) h = mixByte(h, byte);
  return h;
}

function mixNumber(hash: number, value: number): number {
  let h = hash;
  let v = value;
  for (let i = 0; i < 7; i++) {
    h = mixByte(h, v & 0xff);
    v = Math.floor(v / 256);
  }
  return h;
}

function mixByte(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, 0x01000193) >>> 0;
}
