import { describe, expect, it } from 'vitest';
import { bootstrapState } from '../core/bootstrap.js';
import type { Entry } from '../core/types.js';
import { MemoryLogStore } from './memory-log-store.js';

const entry = (index: number, term: number): Entry => ({ index, term, kind: 'normal', data: new Uint8Array([index]) });
const fresh = (): MemoryLogStore => new MemoryLogStore(bootstrapState({ voters: [1], observers: [] }));

describe('MemoryLogStore', () => {
  it('makes writes durable only on sync', async () => {
    const store = fresh();
    store.append([entry(2, 1), entry(3, 1)]);
    store.setHardState({ term: 1, vote: 1, commit: 3 });
    expect(store.durableState().entries).toHaveLength(1);
    await store.sync();
    expect(store.durableState().entries.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(store.durableState().hardState.commit).toBe(3);
  });

  it('keeps a prefix of unsynced writes on a crash (a torn tail)', () => {
    const store = fresh();
    store.append([entry(2, 1), entry(3, 1), entry(4, 1)]);
    store.setHardState({ term: 2, vote: 0, commit: 1 });
    store.loseUnsynced(2);
    expect(store.durableState().entries.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(store.durableState().hardState.term).toBe(1);
    // The store continues from what survived.
    store.append([entry(4, 2)]);
    store.syncNow();
    expect(store.durableState().entries.map((e) => e.term)).toEqual([1, 1, 1, 2]);
  });

  it('truncates a suffix, compacts a prefix and installs snapshots', () => {
    const store = fresh();
    store.append([entry(2, 1), entry(3, 1), entry(4, 1)]);
    store.truncateFrom(3);
    store.append([entry(3, 2)]);
    store.saveSnapshot({ meta: { index: 2, term: 1, membership: { voters: [1], observers: [] } }, data: new Uint8Array([7]) });
    store.syncNow();
    let state = store.durableState();
    expect(state.snapshot.meta.index).toBe(2);
    expect(state.entries.map((e) => [e.index, e.term])).toEqual([[3, 2]]);
    store.installSnapshot({ meta: { index: 9, term: 3, membership: { voters: [1], observers: [] } }, data: new Uint8Array([8]) });
    store.append([entry(10, 3)]);
    store.syncNow();
    state = store.durableState();
    expect(state.snapshot.meta.index).toBe(9);
    expect(state.entries.map((e) => e.index)).toEqual([10]);
  });

  it('refuses writes that do not fit the log', () => {
    const store = fresh();
    expect(() => store.append([entry(3, 1)])).toThrow(/does not continue/);
    expect(() => store.truncateFrom(5)).toThrow(/outside/);
    expect(() => store.saveSnapshot({ meta: { index: 5, term: 1, membership: { voters: [1], observers: [] } }, data: new Uint8Array() })).toThrow(/beyond/);
  });
});
