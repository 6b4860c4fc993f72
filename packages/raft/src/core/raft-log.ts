import { assert } from '@eddy/base';
import { decodeMembershipEntry } from './membership.js';
import type { Entry, Membership, SnapshotMeta } from './types.js';

/**
 * The log as the core sees it: the latest snapshot's position plus every entry after it, in
 * memory. The metadata log is kept short by snapshots, so the core never reads storage; the
 * driver loads the persisted log once at start. Which prefix is durable is tracked by the node,
 * not here.
 *
 * It also indexes membership entries so the membership in force at any index (the latest entry
 * at or before it, else the snapshot's) is found without scanning.
 */
export class RaftLog {
  private snapshotIndex: number;
  private snapshotTerm: number;
  private snapshotMembership: Membership;
  /** entries[i] holds index snapshotIndex + 1 + i. */
  private entries: Entry[] = [];
  /** Membership entries in the log, by ascending index. */
  private memberships: Array<{ readonly index: number; readonly membership: Membership }> = [];

  constructor(snapshot: SnapshotMeta, entries: readonly Entry[]) {
    this.snapshotIndex = snapshot.index;
    this.snapshotTerm = snapshot.term;
    this.snapshotMembership = snapshot.membership;
    this.append(entries);
  }

  get firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  get lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  get lastTerm(): number {
    return this.entries[this.entries.length - 1]?.term ?? this.snapshotTerm;
  }

  /** The snapshot the log starts after. */
  get snapshotMeta(): SnapshotMeta {
    return { index: this.snapshotIndex, term: this.snapshotTerm, membership: this.snapshotMembership };
  }

  /** The term of the entry at `index`, or undefined when it is compacted away or not yet written. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    return this.entries[index - this.snapshotIndex - 1]?.term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  entry(index: number): Entry {
    const entry = this.entries[index - this.snapshotIndex - 1];
    assert(entry !== undefined && entry.index === index, `entry ${index} is outside the log [${this.firstIndex}, ${this.lastIndex}]`);
    return entry;
  }

  /**
   * Entries from `from` up to `to` (inclusive), stopping early once `bytesMax` of data is
   * reached but always returning at least one entry when the range is not empty.
   */
  slice(from: number, to: number, bytesMax = Number.POSITIVE_INFINITY, countMax = Number.POSITIVE_INFINITY): Entry[] {
    assert(from >= this.firstIndex, `slice from ${from} is compacted (first index ${this.firstIndex})`);
    assert(to <= this.lastIndex, `slice to ${to} is beyond the last index ${this.lastIndex}`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let index = from; index <= to && out.length < countMax; index++) {
      const entry = this.entry(index);
      if (out.length > 0 && bytes + entry.data.byteLength > bytesMax) break;
      bytes += entry.data.byteLength;
      out.push(entry);
    }
    return out;
  }

  /** Appends entries that continue the log exactly. */
  append(entries: readonly Entry[]): void {
    for (const entry of entries) {
      assert(entry.index === this.lastIndex + 1, `entry ${entry.index} does not follow the last index ${this.lastIndex}`);
      assert(entry.term >= this.lastTerm, `entry ${entry.index} has term ${entry.term} below the last term ${this.lastTerm}`);
      this.entries.push(entry);
      if (entry.kind === 'membership') {
        this.memberships.push({ index: entry.index, membership: decodeMembershipEntry(entry.data).membership });
      }
    }
  }

  /** Drops every entry after `index` (a conflicting suffix). */
  truncateAfter(index: number): void {
    assert(index >= this.snapshotIndex && index <= this.lastIndex, `cannot truncate after ${index} in [${this.snapshotIndex}, ${this.lastIndex}]`);
    this.entries.length = index - this.snapshotIndex;
    while ((this.memberships[this.memberships.length - 1]?.index ?? 0) > index) this.memberships.pop();
  }

  /** Drops every entry up to and including `index`, which a snapshot now covers. */
  compactTo(index: number): SnapshotMeta {
    const meta = this.metaAt(index);
    this.entries.splice(0, index - this.snapshotIndex);
    this.snapshotIndex = meta.index;
    this.snapshotTerm = meta.term;
    this.snapshotMembership = meta.membership;
    this.memberships = this.memberships.filter((m) => m.index > index);
    return meta;
  }

  /** What a snapshot taken at `index` records: its term and the membership in force. */
  metaAt(index: number): SnapshotMeta {
    assert(index >= this.snapshotIndex && index <= this.lastIndex, `no snapshot position ${index} in [${this.snapshotIndex}, ${this.lastIndex}]`);
    return { index, term: this.term(index) ?? 0, membership: this.membershipAt(index) };
  }

  /** Replaces the whole log by a snapshot that does not match it. */
  restore(meta: SnapshotMeta): void {
    this.entries = [];
    this.memberships = [];
    this.snapshotIndex = meta.index;
    this.snapshotTerm = meta.term;
    this.snapshotMembership = meta.membership;
  }

  /** The latest membership in the log, committed or not. */
  membership(): Membership {
    return this.memberships[this.memberships.length - 1]?.membership ?? this.snapshotMembership;
  }

  /** The index of the latest membership entry (the snapshot index when the log has none). */
  membershipIndex(): number {
    return this.memberships[this.memberships.length - 1]?.index ?? this.snapshotIndex;
  }

  membershipAt(index: number): Membership {
    for (let i = this.memberships.length - 1; i >= 0; i--) {
      const m = this.memberships[i];
      if (m !== undefined && m.index <= index) return m.membership;
    }
    return this.snapshotMembership;
  }

  /** Raft §5.4.1: is a candidate's log (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm || (lastTerm === this.lastTerm && lastIndex >= this.lastIndex);
  }

  /**
   * The index of the first entry in `entries` that is missing from the log or conflicts with
   * it by term; undefined when the log already holds them all.
   */
  findConflict(entries: readonly Entry[]): number | undefined {
    for (const entry of entries) {
      if (entry.index <= this.snapshotIndex) continue;
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return undefined;
  }

  /**
   * Fast backtracking: the largest index at or below `index` whose term is at most `term`.
   * Every entry above it has a larger term, so none of them can match a log whose entry at
   * `index` has term `term`. Stops at the snapshot, whose term is the best known.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let at = Math.min(index, this.lastIndex);
    for (; at > this.snapshotIndex; at--) {
      const t = this.term(at) ?? 0;
      if (t <= term) return { index: at, term: t };
    }
    return { index: this.snapshotIndex, term: this.snapshotTerm };
  }
}
