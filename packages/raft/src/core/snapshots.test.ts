import { describe, expect, it } from 'vitest';
import { RaftNetwork } from '../testing/raft-network.js';

function elect(net: RaftNetwork, id: number): void {
  net.campaign(id);
  net.deliverAll();
  expect(net.leader()).toBe(id);
}

/** Lets the leader notice that an isolated follower went silent, so it stops keeping entries for it. */
function silence(net: RaftNetwork, leader: number): void {
  for (let i = 0; i < 10; i++) {
    net.tick(leader);
    net.deliverAll();
  }
}

function heartbeats(net: RaftNetwork, leader: number, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    net.tick(leader);
    net.deliverAll();
  }
}

describe('snapshots', () => {
  it('compacts the log and storage once the application took a snapshot', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    elect(net, 1);
    for (let i = 0; i < 5; i++) net.propose(1, `p${i}`);
    net.deliverAll();
    net.compact(1);
    const raft = net.raft(1);
    expect(raft.firstIndex).toBe(raft.appliedIndex + 1);
    const durable = net.get(1).store.durableState();
    expect(durable.snapshot.meta.index).toBe(raft.appliedIndex);
    expect(durable.entries).toHaveLength(0);
    net.crash(1);
    net.restart(1);
    expect(net.appliedPayloads(1)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('catches up a lagging follower with a snapshot sent in chunks, then entries', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { snapshotChunkBytes: 16 } });
    elect(net, 1);
    net.isolate(3);
    for (let i = 0; i < 10; i++) net.propose(1, `entry-${i}`);
    net.deliverAll();
    silence(net, 1);
    net.compact(1);
    net.compact(2);
    net.propose(1, 'after');
    net.deliverAll();
    net.heal();
    heartbeats(net, 1, 3);
    expect(net.deliveredCount.get('installSnapshotRequest')).toBeGreaterThan(3);
    expect(net.appliedPayloads(3)).toEqual(net.appliedPayloads(1));
    expect(net.appliedPayloads(3)).toHaveLength(11);
    expect(net.raft(3).firstIndex).toBeGreaterThan(1);
    expect(net.get(3).store.durableState().snapshot.meta.index).toBe(net.get(1).store.durableState().snapshot.meta.index);
  });

  it('finishes a transfer while the leader keeps taking newer snapshots', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { snapshotChunkBytes: 8 } });
    elect(net, 1);
    net.isolate(3);
    for (let i = 0; i < 10; i++) net.propose(1, `entry-${i}`);
    net.deliverAll();
    silence(net, 1);
    net.compact(1);
    net.heal();
    // Deliver one message at a time; the leader snapshots again after every proposal.
    for (let step = 0; step < 400 && net.appliedPayloads(3).length < 30; step++) {
      if (step % 5 === 0) {
        net.propose(1, `more-${step}`);
        net.compact(1);
        net.tick(1);
      }
      const next = net.queue.shift();
      if (next !== undefined) net.deliver(next);
    }
    net.deliverAll();
    heartbeats(net, 1, 3);
    expect(net.appliedPayloads(3)).toEqual(net.appliedPayloads(1));
  });

  it('restarts a transfer after a lost chunk and resumes from the follower offset', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { snapshotChunkBytes: 8 } });
    elect(net, 1);
    net.isolate(3);
    for (let i = 0; i < 6; i++) net.propose(1, `entry-${i}`);
    net.deliverAll();
    silence(net, 1);
    net.compact(1);
    net.heal();
    let dropped = 0;
    for (let round = 0; round < 400 && net.appliedPayloads(3).length < 6; round++) {
      if (round % 4 === 0) net.tick(1);
      for (const m of net.take(() => true)) {
        if (m.type === 'installSnapshotRequest' && m.offset > 0 && dropped < 3) {
          dropped++;
          continue;
        }
        net.deliver(m);
      }
    }
    expect(dropped).toBe(3);
    expect(net.appliedPayloads(3)).toEqual(net.appliedPayloads(1));
  });

  it('keeps the entries a live follower still needs instead of sending it a snapshot', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { catchUpEntriesMax: 100 } });
    elect(net, 1);
    net.isolate(3);
    for (let i = 0; i < 10; i++) net.propose(1, `entry-${i}`);
    net.deliverAll();
    net.compact(1);
    expect(net.raft(1).firstIndex).toBe(3);
    net.heal();
    heartbeats(net, 1, 3);
    expect(net.deliveredCount.get('installSnapshotRequest')).toBeUndefined();
    expect(net.appliedPayloads(3)).toEqual(net.appliedPayloads(1));
    // Once every follower caught up, the next compaction drops the entries.
    net.compact(1);
    net.propose(1, 'more');
    net.deliverAll();
    net.compact(1);
    expect(net.raft(1).firstIndex).toBe(net.raft(1).appliedIndex + 1);
  });

  it('installs nothing when the follower already holds the snapshot point', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    elect(net, 1);
    net.propose(1, 'a');
    net.deliverAll();
    const follower = net.raft(2);
    const index = follower.commitIndex;
    follower.step({
      type: 'installSnapshotRequest',
      from: 1,
      to: 2,
      term: follower.currentTerm,
      snapshotIndex: index,
      snapshotTerm: follower.termAt(index) ?? 0,
      voters: [1, 2, 3],
      observers: [],
      totalBytes: 1,
      offset: 0,
      data: new Uint8Array(1),
      done: true,
    });
    const ready = follower.ready();
    expect(ready.snapshot).toBeUndefined();
    expect(ready.messages).toEqual([expect.objectContaining({ type: 'installSnapshotResponse', done: true, snapshotIndex: index })]);
    follower.advance(ready);
  });
});
