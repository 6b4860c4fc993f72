import { describe, expect, it } from 'vitest';
import { encodeMembershipEntry } from './membership.js';
import { RaftLog } from './raft-log.js';
import type { Entry, Membership } from './types.js';

const initial: Membership = { voters: [1, 2, 3], observers: [] };
const entry = (index: number, term: number): Entry => ({ index, term, kind: 'normal', data: new Uint8Array([index]) });
const membershipEntry = (index: number, term: number, membership: Membership): Entry => ({
  index,
  term,
  kind: 'membership',
  data: encodeMembershipEntry({ change: undefined, membership }),
});
const logOf = (terms: number[]): RaftLog =>
  new RaftLog(
    { index: 0, term: 0, membership: initial },
    terms.map((term, i) => entry(i + 1, term)),
  );

describe('RaftLog', () => {
  it('knows its bounds and terms', () => {
    const log = logOf([1, 1, 2, 3]);
    expect([log.firstIndex, log.lastIndex, log.lastTerm]).toEqual([1, 4, 3]);
    expect([log.term(0), log.term(3), log.term(5)]).toEqual([0, 2, undefined]);
  });

  it('refuses appends that do not continue it', () => {
    const log = logOf([1, 2]);
    expect(() => log.append([entry(4, 2)])).toThrow(/does not follow/);
    expect(() => log.append([entry(3, 1)])).toThrow(/below the last term/);
  });

  it('slices within byte and count budgets, always returning one entry', () => {
    const log = logOf([1, 1, 1, 1]);
    expect(log.slice(1, 4).map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(log.slice(1, 4, 2).map((e) => e.index)).toEqual([1, 2]);
    expect(log.slice(2, 4, 0).map((e) => e.index)).toEqual([2]);
    expect(log.slice(1, 4, Infinity, 3).map((e) => e.index)).toEqual([1, 2, 3]);
  });

  it('finds the first conflicting or missing entry', () => {
    const log = logOf([1, 1, 2]);
    expect(log.findConflict([entry(2, 1), entry(3, 2)])).toBeUndefined();
    expect(log.findConflict([entry(2, 1), entry(3, 3)])).toBe(3);
    expect(log.findConflict([entry(3, 2), entry(4, 2)])).toBe(4);
  });

  it('finds the last index whose term is not above a given term (fast backtracking)', () => {
    const log = logOf([1, 1, 2, 2, 4, 4, 4]);
    expect(log.findConflictByTerm(7, 3)).toEqual({ index: 4, term: 2 });
    expect(log.findConflictByTerm(10, 5)).toEqual({ index: 7, term: 4 });
    expect(log.findConflictByTerm(7, 0)).toEqual({ index: 0, term: 0 });
  });

  it('compares logs by last term, then length', () => {
    const log = logOf([1, 2, 2]);
    expect(log.isUpToDate(3, 2)).toBe(true);
    expect(log.isUpToDate(2, 2)).toBe(false);
    expect(log.isUpToDate(1, 3)).toBe(true);
  });

  it('compacts a prefix and keeps the membership in force at the cut', () => {
    const changed: Membership = { voters: [1, 2, 3, 4], observers: [] };
    const log = new RaftLog({ index: 0, term: 0, membership: initial }, [entry(1, 1), membershipEntry(2, 1, changed), entry(3, 2), entry(4, 2)]);
    const meta = log.compactTo(3);
    expect(meta).toEqual({ index: 3, term: 2, membership: changed });
    expect([log.firstIndex, log.lastIndex, log.term(3), log.term(2)]).toEqual([4, 4, 2, undefined]);
    expect(log.membership()).toEqual(changed);
    expect(() => log.slice(3, 4)).toThrow(/compacted/);
  });

  it('reverts to the previous membership when a membership entry is truncated', () => {
    const changed: Membership = { voters: [1, 2], observers: [3] };
    const log = new RaftLog({ index: 0, term: 0, membership: initial }, [entry(1, 1), membershipEntry(2, 1, changed), entry(3, 1)]);
    expect(log.membership()).toEqual(changed);
    expect(log.membershipIndex()).toBe(2);
    expect(log.membershipAt(1)).toEqual(initial);
    log.truncateAfter(1);
    expect(log.membership()).toEqual(initial);
    expect(log.membershipIndex()).toBe(0);
  });

  it('is replaced wholesale by a foreign snapshot', () => {
    const log = logOf([1, 1, 1]);
    log.restore({ index: 10, term: 5, membership: { voters: [2], observers: [] } });
    expect([log.firstIndex, log.lastIndex, log.lastTerm]).toEqual([11, 10, 5]);
    expect(log.membership().voters).toEqual([2]);
  });
});
