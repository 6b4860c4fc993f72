import { describe, expect, it } from 'vitest';
import { RaftNetwork } from '../testing/raft-network.js';
import type { ConfChange } from './types.js';

function elect(net: RaftNetwork, id: number): void {
  net.campaign(id);
  net.deliverAll();
  expect(net.leader()).toBe(id);
}

function change(net: RaftNetwork, leader: number, confChange: ConfChange): number {
  const result = net.raft(leader).proposeConfChange(confChange);
  expect(result.ok).toBe(true);
  net.processReady(leader);
  net.deliverAll();
  return result.ok ? result.index : 0;
}

/** Delivers election traffic only, holding back everything else. */
function deliverVotes(net: RaftNetwork): void {
  for (;;) {
    const votes = net.take((m) => m.type === 'voteRequest' || m.type === 'voteResponse');
    if (votes.length === 0) return;
    for (const m of votes) net.deliver(m);
  }
}

function settle(net: RaftNetwork, rounds = 5): void {
  for (let i = 0; i < rounds; i++) {
    net.tickAll();
    net.deliverAll();
  }
}

describe('membership changes', () => {
  it('adds a new voter, then removes an old one', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], spares: [4] });
    elect(net, 1);
    net.propose(1, 'a');
    net.deliverAll();
    change(net, 1, { type: 'addVoter', nodeId: 4 });
    settle(net);
    expect(net.raft(4).membership().voters).toEqual([1, 2, 3, 4]);
    expect(net.appliedPayloads(4)).toEqual(['a']);
    change(net, 1, { type: 'removeVoter', nodeId: 3 });
    expect(net.raft(1).membership().voters).toEqual([1, 2, 4]);
    net.crash(3);
    net.crash(2);
    // {1, 4} is a majority of {1, 2, 4}.
    net.propose(1, 'b');
    net.deliverAll();
    expect(net.appliedPayloads(4)).toEqual(['a', 'b']);
    // The new voter can lead.
    net.crash(1);
    net.restart(2);
    elect(net, 4);
  });

  it('takes effect when appended, before it commits', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], spares: [4] });
    elect(net, 1);
    net.isolate(1);
    expect(net.raft(1).proposeConfChange({ type: 'addVoter', nodeId: 4 }).ok).toBe(true);
    expect(net.raft(1).membership().voters).toEqual([1, 2, 3, 4]);
    expect(net.raft(1).status().progress?.has(4)).toBe(true);
  });

  it('allows one uncommitted change at a time, and none before the leader commits in its term', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], spares: [4, 5] });
    net.campaign(1);
    deliverVotes(net);
    expect(net.raft(1).isLeader).toBe(true);
    expect(net.raft(1).proposeConfChange({ type: 'addVoter', nodeId: 4 })).toMatchObject({ ok: false, reason: 'membershipChangePending' });
    net.queue = [];
    net.tick(1);
    net.deliverAll();
    expect(net.raft(1).proposeConfChange({ type: 'addObserver', nodeId: 4 }).ok).toBe(true);
    expect(net.raft(1).proposeConfChange({ type: 'addObserver', nodeId: 5 })).toMatchObject({ ok: false, reason: 'membershipChangePending' });
    net.processReady(1);
    net.deliverAll();
    expect(net.raft(1).proposeConfChange({ type: 'addObserver', nodeId: 5 }).ok).toBe(true);
    expect(net.raft(1).proposeConfChange({ type: 'removeVoter', nodeId: 9 })).toMatchObject({ ok: false, reason: 'membershipChangePending' });
  });

  it('refuses changes that do not fit the membership', () => {
    const net = new RaftNetwork({ voters: [1] });
    elect(net, 1);
    expect(net.raft(1).proposeConfChange({ type: 'removeVoter', nodeId: 1 })).toMatchObject({ ok: false, reason: 'invalidChange' });
    expect(net.raft(1).proposeConfChange({ type: 'addVoter', nodeId: 1 })).toMatchObject({ ok: false, reason: 'invalidChange' });
    expect(net.raft(1).proposeConfChange({ type: 'removeObserver', nodeId: 7 })).toMatchObject({ ok: false, reason: 'invalidChange' });
  });

  it('replicates to observers without counting them for commit', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], observers: [4] });
    elect(net, 1);
    net.propose(1, 'a');
    net.deliverAll();
    expect(net.appliedPayloads(4)).toEqual(['a']);
    net.crash(2);
    net.crash(3);
    const before = net.raft(1).commitIndex;
    net.propose(1, 'b');
    net.deliverAll();
    expect(net.raft(4).lastIndex).toBe(net.raft(1).lastIndex);
    expect(net.raft(1).commitIndex).toBe(before);
  });

  it('promotes an observer to voter', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], observers: [4], config: { checkQuorum: false } });
    elect(net, 1);
    change(net, 1, { type: 'addVoter', nodeId: 4 });
    expect(net.raft(4).membership()).toEqual({ voters: [1, 2, 3, 4], observers: [] });
    net.crash(1);
    elect(net, 4);
  });

  it('lets a removed leader finish its removal, step down and hand over at once', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    elect(net, 1);
    change(net, 1, { type: 'removeVoter', nodeId: 1 });
    expect(net.raft(1).isLeader).toBe(false);
    expect(net.deliveredCount.get('timeoutNow')).toBe(1);
    const leader = net.leader();
    expect([2, 3]).toContain(leader);
    expect(net.raft(leader!).membership().voters).toEqual([2, 3]);
    for (let i = 0; i < 100; i++) net.tick(1);
    expect(net.raft(1).status().role).toBe('follower');
    net.propose(leader!, 'after');
    net.deliverAll();
    expect(net.appliedPayloads(leader === 2 ? 3 : 2)).toEqual(['after']);
  });

  it('lets the only holder of an uncommitted removal lead, so the change can finish', () => {
    // Voters {1, 2}; leader 1 appends "remove 1" but node 2 never receives it, and 1 loses
    // leadership. 2 (still seeing {1, 2}) cannot win without 1, and 1's log is longer. Node 1
    // must campaign under {2} to commit its removal.
    const net = new RaftNetwork({ voters: [1, 2], config: { checkQuorum: true } });
    elect(net, 1);
    net.isolate(1);
    expect(net.raft(1).proposeConfChange({ type: 'removeVoter', nodeId: 1 }).ok).toBe(true);
    net.processReady(1);
    for (let i = 0; i < 30; i++) {
      net.tick(1);
      net.deliverAll();
    }
    expect(net.raft(1).isLeader).toBe(false);
    net.heal();
    for (let i = 0; i < 200 && !(net.leader() === 2 && net.raft(2).membership().voters.length === 1); i++) {
      net.tickAll();
      net.deliverAll();
    }
    expect(net.leader()).toBe(2);
    expect(net.raft(2).membership()).toEqual({ voters: [2], observers: [] });
    expect(net.raft(1).isLeader).toBe(false);
  });

  it('keeps a removed node from campaigning once it learned its removal committed', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    elect(net, 1);
    const removal = change(net, 1, { type: 'removeVoter', nodeId: 3 });
    expect(net.raft(3).membership().voters).toEqual([1, 2]);
    expect(net.raft(3).commitIndex).toBeGreaterThanOrEqual(removal);
    expect(net.raft(1).status().progress?.has(3)).toBe(false);
    const term = net.raft(1).currentTerm;
    for (let i = 0; i < 100; i++) net.tick(3);
    net.deliverAll();
    expect(net.raft(3).status().role).toBe('follower');
    expect(net.raft(1).currentTerm).toBe(term);
  });
});
