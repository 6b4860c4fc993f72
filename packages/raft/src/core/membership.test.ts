import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyConfChange, decodeMembershipEntry, encodeMembershipEntry } from './membership.js';
import type { ConfChangeType, Membership } from './types.js';

const m = (voters: number[], observers: number[] = []): Membership => ({ voters, observers });

describe('applyConfChange', () => {
  it('adds and removes voters and observers one at a time', () => {
    expect(applyConfChange(m([1, 2, 3]), { type: 'addVoter', nodeId: 4 })).toEqual({ ok: true, membership: m([1, 2, 3, 4]) });
    expect(applyConfChange(m([1, 2, 3]), { type: 'removeVoter', nodeId: 2 })).toEqual({ ok: true, membership: m([1, 3]) });
    expect(applyConfChange(m([1]), { type: 'addObserver', nodeId: 9 })).toEqual({ ok: true, membership: m([1], [9]) });
    expect(applyConfChange(m([1], [9]), { type: 'removeObserver', nodeId: 9 })).toEqual({ ok: true, membership: m([1]) });
  });

  it('promotes an observer added as a voter', () => {
    expect(applyConfChange(m([1], [2]), { type: 'addVoter', nodeId: 2 })).toEqual({ ok: true, membership: m([1, 2]) });
  });

  it('refuses changes that do nothing or leave no voter', () => {
    expect(applyConfChange(m([1, 2]), { type: 'addVoter', nodeId: 2 }).ok).toBe(false);
    expect(applyConfChange(m([1, 2]), { type: 'removeVoter', nodeId: 3 }).ok).toBe(false);
    expect(applyConfChange(m([1]), { type: 'removeVoter', nodeId: 1 }).ok).toBe(false);
    expect(applyConfChange(m([1], [2]), { type: 'addObserver', nodeId: 2 }).ok).toBe(false);
    expect(applyConfChange(m([1, 2]), { type: 'addObserver', nodeId: 2 }).ok).toBe(false);
    expect(applyConfChange(m([1]), { type: 'removeObserver', nodeId: 1 }).ok).toBe(false);
    expect(applyConfChange(m([1]), { type: 'addVoter', nodeId: 0 }).ok).toBe(false);
  });
});

describe('membership entry codec', () => {
  it('round-trips any membership and change', () => {
    const ids = fc.uniqueArray(fc.integer({ min: 1, max: 0xffff_ffff }), { maxLength: 12 });
    fc.assert(
      fc.property(ids, fc.nat({ max: 12 }), fc.constantFrom<ConfChangeType | undefined>('addVoter', 'removeVoter', 'addObserver', 'removeObserver', undefined), (all, split, type) => {
        const membership = m(all.slice(0, split), all.slice(split));
        const change = type === undefined ? undefined : { type, nodeId: all[0] ?? 1 };
        expect(decodeMembershipEntry(encodeMembershipEntry({ change, membership }))).toEqual({ change, membership });
      }),
    );
  });

  it('rejects malformed bytes', () => {
    const bytes = encodeMembershipEntry({ change: undefined, membership: m([1, 2]) });
    expect(() => decodeMembershipEntry(bytes.subarray(0, bytes.length - 2))).toThrow();
    expect(() => decodeMembershipEntry(new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow();
  });
});
