import { describe, expect, it } from 'vitest';
import { RaftNetwork } from '../testing/raft-network.js';

const electionTimeoutTicks = 10;

function elect(net: RaftNetwork, id: number): void {
  net.campaign(id);
  net.deliverAll();
  expect(net.leader()).toBe(id);
}

/** Ticks a node and lets its messages go (where links allow). */
function tickAndDeliver(net: RaftNetwork, id: number, ticks: number): void {
  for (let i = 0; i < ticks; i++) {
    net.tick(id);
    net.deliverAll();
  }
}

describe('elections', () => {
  it('elects exactly one leader, which commits a no-op of its term', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    elect(net, 1);
    const leader = net.raft(1);
    expect(leader.currentTerm).toBe(2);
    expect(leader.commitIndex).toBe(2);
    expect(leader.entries(2, 2)[0]?.kind).toBe('noop');
    for (const id of [2, 3]) {
      expect(net.raft(id).leaderId()).toBe(1);
      expect(net.raft(id).commitIndex).toBe(2);
    }
  });

  it('elects a leader from timeouts alone', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3, 4, 5], seed: 7 });
    for (let i = 0; i < 10 * electionTimeoutTicks && net.leader() === undefined; i++) {
      net.tickAll();
      net.deliverAll();
    }
    expect(net.leader()).toBeDefined();
  });

  it('persists the vote before the grant goes out (one Ready, must sync)', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { preVote: false } });
    net.raft(1).campaign();
    const request = net.raft(1).ready().messages.find((m) => m.to === 2);
    expect(request?.type).toBe('voteRequest');
    const voter = net.raft(2);
    voter.step(request!);
    const ready = voter.ready();
    expect(ready.hardState).toEqual({ term: 2, vote: 1, commit: 1 });
    expect(ready.mustSync).toBe(true);
    expect(ready.messages).toEqual([expect.objectContaining({ type: 'voteResponse', granted: true, term: 2, to: 1 })]);
  });

  it('refuses a vote to a candidate with a less up-to-date log', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { checkQuorum: false } });
    elect(net, 1);
    net.isolate(3);
    net.propose(1, 'a');
    net.deliverAll();
    net.heal();
    net.crash(1);
    net.campaign(3);
    net.deliverAll();
    expect(net.raft(3).isLeader).toBe(false);
    expect(net.raft(2).currentTerm).toBe(net.raft(1).currentTerm);
    net.campaign(2);
    net.deliverAll();
    expect(net.leader()).toBe(2);
  });

  it('lets a partitioned leader step down through check-quorum', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { checkQuorum: true } });
    elect(net, 1);
    net.isolate(1);
    tickAndDeliver(net, 1, 2 * electionTimeoutTicks);
    expect(net.raft(1).isLeader).toBe(false);
    expect(net.raft(1).leaderId()).toBeUndefined();
  });

  it('keeps a partitioned leader in place without check-quorum', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { checkQuorum: false } });
    elect(net, 1);
    net.isolate(1);
    tickAndDeliver(net, 1, 5 * electionTimeoutTicks);
    expect(net.raft(1).isLeader).toBe(true);
  });

  it('makes followers ignore vote requests while their leader is alive (lease)', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { checkQuorum: true, preVote: false } });
    elect(net, 1);
    const term = net.raft(1).currentTerm;
    net.campaign(3);
    net.deliverAll();
    expect(net.leader()).toBe(1);
    expect(net.raft(2).currentTerm).toBe(term);
    expect(net.raft(1).currentTerm).toBe(term);
  });

  it('keeps a rejoining node from bumping the term with pre-vote', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { preVote: true, checkQuorum: false } });
    elect(net, 1);
    const term = net.raft(1).currentTerm;
    net.isolate(3);
    net.propose(1, 'a');
    net.deliverAll();
    tickAndDeliver(net, 3, 10 * electionTimeoutTicks);
    expect(net.raft(3).currentTerm).toBe(term);
    net.heal();
    tickAndDeliver(net, 3, 3 * electionTimeoutTicks);
    expect(net.leader()).toBe(1);
    expect(net.raft(1).currentTerm).toBe(term);
    expect(net.raft(3).currentTerm).toBe(term);
  });

  it('without pre-vote, the same rejoining node deposes the leader', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { preVote: false, checkQuorum: false } });
    elect(net, 1);
    const term = net.raft(1).currentTerm;
    net.isolate(3);
    net.propose(1, 'a');
    net.deliverAll();
    tickAndDeliver(net, 3, 10 * electionTimeoutTicks);
    expect(net.raft(3).currentTerm).toBeGreaterThan(term + 3);
    net.heal();
    tickAndDeliver(net, 3, 3 * electionTimeoutTicks);
    expect(net.raft(1).currentTerm).toBeGreaterThan(term);
    expect(net.raft(1).isLeader).toBe(false);
  });

  it('makes a stale leader step down on rejoining and drops its uncommitted entries', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { checkQuorum: false } });
    elect(net, 1);
    net.isolate(1);
    elect(net, 2);
    expect(net.raft(1).isLeader).toBe(true);
    expect(net.propose(1, 'stale').ok).toBe(true);
    net.propose(2, 'fresh');
    net.deliverAll();
    net.heal();
    // The stale leader's heartbeat is answered with the higher term.
    tickAndDeliver(net, 1, 1);
    expect(net.raft(1).isLeader).toBe(false);
    tickAndDeliver(net, 2, 2);
    for (const id of [1, 2, 3]) expect(net.appliedPayloads(id)).toEqual(['fresh']);
    expect(net.raft(1).commitIndex).toBe(net.raft(2).commitIndex);
  });

  it('never lets an observer campaign, nor asks it for a vote', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], observers: [4] });
    tickAndDeliver(net, 4, 20 * electionTimeoutTicks);
    expect(net.raft(4).status().role).toBe('follower');
    expect(net.raft(4).currentTerm).toBe(1);
    net.raft(1).campaign();
    const ready = net.raft(1).ready();
    expect(ready.messages.map((m) => m.to).sort()).toEqual([2, 3]);
  });

  it('does not restart its election timer for vote requests it rejects', () => {
    // Node 3's log is behind; it keeps campaigning (no pre-vote, no lease). Node 2 rejects it
    // every time, and must still time out and win: seeing a higher term is not a reason to
    // wait longer (Raft figure 2).
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { preVote: false, checkQuorum: false } });
    elect(net, 1);
    net.isolate(3);
    net.propose(1, 'a');
    net.deliverAll();
    net.crash(1);
    net.heal();
    for (let tick = 1; tick <= 2 * electionTimeoutTicks && !net.raft(2).isLeader; tick++) {
      net.tick(2);
      if (tick % 5 === 0) {
        net.campaign(3);
        net.deliverAll();
      }
      net.deliverAll();
    }
    expect(net.raft(2).isLeader).toBe(true);
  });

  it('restarts from durable state with its term, vote and log', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    elect(net, 1);
    net.propose(1, 'a');
    net.deliverAll();
    const before = net.raft(2).status();
    net.crash(2);
    net.restart(2);
    const after = net.raft(2).status();
    expect([after.term, after.vote, after.lastIndex, after.commit]).toEqual([before.term, before.vote, before.lastIndex, before.commit]);
    expect(net.appliedPayloads(2)).toEqual(['a']);
  });
});
