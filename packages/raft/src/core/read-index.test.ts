import { describe, expect, it } from 'vitest';
import { RaftNetwork } from '../testing/raft-network.js';

const ctx = (n: number): Uint8Array => new Uint8Array([n]);

function elect(net: RaftNetwork, id: number): void {
  net.campaign(id);
  net.deliverAll();
  expect(net.leader()).toBe(id);
}

describe('ReadIndex', () => {
  it('confirms leadership with a quorum round before releasing a read at the commit index', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    elect(net, 1);
    net.propose(1, 'a');
    net.deliverAll();
    const commit = net.raft(1).commitIndex;
    expect(net.raft(1).readIndex(ctx(1)).ok).toBe(true);
    net.processReady(1);
    expect(net.get(1).readStates).toEqual([]);
    expect(net.queue.filter((m) => m.type === 'heartbeatRequest' && m.readRound > 0)).toHaveLength(2);
    net.deliverAll();
    expect(net.get(1).readStates).toEqual([{ index: commit, context: ctx(1) }]);
  });

  it('batches reads that arrive together into one round', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    elect(net, 1);
    for (let i = 0; i < 5; i++) net.raft(1).readIndex(ctx(i));
    net.processReady(1);
    expect(net.queue.filter((m) => m.type === 'heartbeatRequest')).toHaveLength(2);
    net.deliverAll();
    expect(net.get(1).readStates.map((r) => r.context[0])).toEqual([0, 1, 2, 3, 4]);
  });

  it('serves a single-voter cluster at once', () => {
    const net = new RaftNetwork({ voters: [1] });
    elect(net, 1);
    net.raft(1).readIndex(ctx(9));
    net.processReady(1);
    expect(net.get(1).readStates).toEqual([{ index: net.raft(1).commitIndex, context: ctx(9) }]);
  });

  it('forwards a follower read to the leader', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], observers: [4] });
    elect(net, 1);
    net.propose(1, 'a');
    net.deliverAll();
    expect(net.raft(3).readIndex(ctx(3)).ok).toBe(true);
    expect(net.raft(4).readIndex(ctx(4)).ok).toBe(true);
    net.processReady();
    net.deliverAll();
    expect(net.get(3).readStates).toEqual([{ index: net.raft(1).commitIndex, context: ctx(3) }]);
    expect(net.get(4).readStates).toEqual([{ index: net.raft(1).commitIndex, context: ctx(4) }]);
  });

  it('refuses a read without a known leader', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    expect(net.raft(2).readIndex(ctx(1))).toMatchObject({ ok: false, reason: 'notLeader' });
  });

  it('holds reads at a new leader until it has committed an entry of its term', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    net.campaign(1);
    for (;;) {
      const votes = net.take((m) => m.type === 'voteRequest' || m.type === 'voteResponse');
      if (votes.length === 0) break;
      for (const m of votes) net.deliver(m);
    }
    expect(net.raft(1).isLeader).toBe(true);
    const noopIndex = net.raft(1).lastIndex;
    expect(net.raft(1).commitIndex).toBeLessThan(noopIndex);
    net.raft(1).readIndex(ctx(1));
    net.processReady(1);
    expect(net.get(1).readStates).toEqual([]);
    net.deliverAll();
    expect(net.get(1).readStates).toEqual([{ index: noopIndex, context: ctx(1) }]);
  });

  it('never serves a read from a deposed leader that cannot reach a quorum', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { checkQuorum: false } });
    elect(net, 1);
    net.isolate(1);
    elect(net, 2);
    net.propose(2, 'newer');
    net.deliverAll();
    expect(net.raft(1).isLeader).toBe(true);
    net.raft(1).readIndex(ctx(1));
    net.processReady(1);
    net.deliverAll();
    net.tick(1, 3);
    net.deliverAll();
    expect(net.get(1).readStates).toEqual([]);
    // Once it rejoins it learns the higher term and the read is dropped, never answered stale.
    net.heal();
    net.tick(1);
    net.deliverAll();
    expect(net.raft(1).isLeader).toBe(false);
    expect(net.get(1).readStates).toEqual([]);
  });
});
