import { bootstrapState, emptyState, type Entry } from '@eddy/raft';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRaftLogStore } from './file-raft-log-store.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'eddy-raft-store-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const entry = (index: number, term: number): Entry => ({ index, term, kind: 'normal', data: Buffer.from(`entry-${index}`) });
const membership = { voters: [1, 2, 3], observers: [] };

describe('FileRaftLogStore', () => {
  it('starts a new voter from the bootstrap state and keeps it durable', async () => {
    const store = await FileRaftLogStore.open(directory, () => bootstrapState(membership));
    const first = await store.load();
    expect(first.entries).toHaveLength(1);
    await store.close();
    const again = await FileRaftLogStore.open(directory, () => emptyState());
    const reloaded = await again.load();
    expect(reloaded.hardState).toEqual(first.hardState);
    expect(reloaded.entries.map((e) => ({ ...e, data: Buffer.from(e.data) }))).toEqual(first.entries.map((e) => ({ ...e, data: Buffer.from(e.data) })));
    await again.close();
  });

  it('restores entries, term and vote exactly after a restart', async () => {
    const store = await FileRaftLogStore.open(directory, () => bootstrapState(membership));
    store.append([entry(2, 2), entry(3, 2), entry(4, 2)]);
    store.setHardState({ term: 3, vote: 2, commit: 3 });
    store.truncateFrom(4);
    store.append([entry(4, 3)]);
    await store.sync();
    // A commit-only change needs no write; the stored commit may lag, which is safe.
    store.setHardState({ term: 3, vote: 2, commit: 4 });
    await store.close();
    const state = await (await FileRaftLogStore.open(directory, () => emptyState())).load();
    expect(state.hardState).toMatchObject({ term: 3, vote: 2 });
    expect(state.hardState.commit).toBeLessThanOrEqual(4);
    expect(state.entries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 2],
      [3, 2],
      [4, 3],
    ]);
  });

  it('compacts the log under a local snapshot and replaces it with a leader snapshot', async () => {
    const store = await FileRaftLogStore.open(directory, () => bootstrapState(membership));
    store.append([entry(2, 1), entry(3, 1), entry(4, 1)]);
    store.saveSnapshot({ meta: { index: 3, term: 1, membership }, data: Buffer.from('state@3') });
    await store.close();
    let state = await (await FileRaftLogStore.open(directory, () => emptyState())).load();
    expect(state.snapshot.meta.index).toBe(3);
    expect(Buffer.from(state.snapshot.data).toString()).toBe('state@3');
    expect(state.entries.map((e) => e.index)).toEqual([4]);

    const reopened = await FileRaftLogStore.open(directory, () => emptyState());
    reopened.installSnapshot({ meta: { index: 10, term: 4, membership }, data: Buffer.from('state@10') });
    reopened.append([entry(11, 4)]);
    await reopened.close();
    state = await (await FileRaftLogStore.open(directory, () => emptyState())).load();
    expect(state.snapshot.meta).toEqual({ index: 10, term: 4, membership });
    expect(state.entries.map((e) => e.index)).toEqual([11]);
  });
});
