import { describe, expect, it } from 'vitest';
import { RaftNetwork } from '../testing/raft-network.js';

function elect(net: RaftNetwork, id: number): void {
  net.campaign(id);
  net.deliverAll();
  expect(net.leader()).toBe(id);
}

describe('leadership transfer', () => {
  it('hands leadership to a caught-up voter at once, despite the lease', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { checkQuorum: true, preVote: true } });
    elect(net, 1);
    const term = net.raft(1).currentTerm;
    expect(net.raft(1).transferLeadership(2).ok).toBe(true);
    net.processReady(1);
    net.deliverAll();
    expect(net.leader()).toBe(2);
    expect(net.raft(2).currentTerm).toBe(term + 1);
    expect(net.raft(1).leaderId()).toBe(2);
  });

  it('catches a lagging target up before telling it to campaign', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    elect(net, 1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.propose(1, `p${i}`);
    net.deliverAll();
    net.heal();
    expect(net.raft(1).transferLeadership(3).ok).toBe(true);
    net.tick(1);
    net.deliverAll();
    expect(net.leader()).toBe(3);
    expect(net.appliedPayloads(3)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('refuses proposals during a transfer and gives up after an election timeout', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    elect(net, 1);
    net.isolate(2);
    expect(net.raft(1).transferLeadership(2).ok).toBe(true);
    expect(net.propose(1, 'x')).toMatchObject({ ok: false, reason: 'transferring' });
    for (let i = 0; i < 10; i++) {
      net.tick(1);
      net.deliverAll();
    }
    expect(net.leader()).toBe(1);
    expect(net.propose(1, 'x').ok).toBe(true);
  });

  it('only transfers to voters, and only from the leader', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], observers: [4] });
    elect(net, 1);
    expect(net.raft(1).transferLeadership(4)).toMatchObject({ ok: false, reason: 'invalidChange' });
    expect(net.raft(2).transferLeadership(3)).toMatchObject({ ok: false, reason: 'notLeader', leaderId: 1 });
    expect(net.raft(1).transferLeadership(1).ok).toBe(true);
  });
});
