import { describe, expect, it } from 'vitest';
import type { Message } from './messages.js';
import { RaftNetwork } from '../testing/raft-network.js';

function elect(net: RaftNetwork, id: number): void {
  net.campaign(id);
  net.deliverAll();
  expect(net.leader()).toBe(id);
}

const is =
  (type: Message['type'], from?: number, to?: number) =>
  (m: Message): boolean =>
    m.type === type && (from === undefined || m.from === from) && (to === undefined || m.to === to);

describe('replication', () => {
  it('commits only through an entry of the current term (Raft figure 8)', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3, 4, 5], config: { preVote: false, checkQuorum: false, appendEntriesMax: 1 } });
    // (a) S1 leads term 2 and gets "x" (index 3, term 2) onto S2 only.
    elect(net, 1);
    net.propose(1, 'x');
    for (const m of net.take(() => true)) if (m.to === 2) net.deliver(m);
    net.queue = [];
    expect(net.raft(2).lastIndex).toBe(3);
    net.crash(1);
    // (b) S5 leads term 3 with S3 and S4, appends "y" at index 3 locally and crashes.
    net.campaign(5);
    for (;;) {
      const votes = net.take((m) => m.type === 'voteRequest' || m.type === 'voteResponse');
      if (votes.length === 0) break;
      for (const m of votes) net.deliver(m);
    }
    expect(net.raft(5).isLeader).toBe(true);
    expect(net.raft(5).currentTerm).toBe(3);
    net.propose(5, 'y');
    net.queue = [];
    net.crash(5);
    // (c) S1 restarts and leads term 4; it copies "x" (term 2) onto S3, so a majority holds it.
    net.restart(1);
    net.campaign(1);
    net.deliverAll();
    if (!net.raft(1).isLeader) {
      net.campaign(1);
      for (;;) {
        const votes = net.take((m) => m.type === 'voteRequest' || m.type === 'voteResponse');
        if (votes.length === 0) break;
        for (const m of votes) net.deliver(m);
      }
    }
    expect(net.raft(1).isLeader).toBe(true);
    expect(net.raft(1).currentTerm).toBe(4);
    // Let S3 take only "x" (not the term-4 no-op after it); S2 takes whatever it is sent.
    for (let round = 0; round < 10; round++) {
      for (const m of net.take(() => true)) {
        if (m.from === 3 || m.to === 2 || m.from === 2) net.deliver(m);
        else if (m.to === 3 && m.type === 'appendRequest' && (m.entries.every((e) => e.term === 2) || m.prevLogIndex > net.raft(3).lastIndex)) {
          net.deliver(m);
        }
      }
    }
    expect(net.raft(3).termAt(3)).toBe(2);
    expect(net.raft(3).lastIndex).toBe(3);
    // "x" is on S1, S2 and S3, a majority, and S1 knows it; but it is of term 2, so S1 must
    // not commit it.
    const progress = net.raft(1).status().progress;
    expect(progress?.get(2)?.match).toBeGreaterThanOrEqual(3);
    expect(progress?.get(3)?.match).toBe(3);
    expect(net.raft(1).commitIndex).toBe(2);
    net.queue = [];
    net.crash(1);
    // (d) S5 restarts and wins term 5 with S3 and S4; it overwrites "x" everywhere.
    net.restart(5);
    for (let attempt = 0; attempt < 3 && !net.raft(5).isLeader; attempt++) {
      net.campaign(5);
      net.deliverAll();
    }
    expect(net.raft(5).isLeader).toBe(true);
    net.tick(5, 3);
    net.deliverAll();
    for (const id of [2, 3, 4, 5]) {
      expect(net.appliedPayloads(id)).toEqual(['y']);
      expect(net.raft(id).termAt(3)).toBe(3);
    }
  });

  it('finds the match point of a long divergent log in a few round trips', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { checkQuorum: false } });
    elect(net, 1);
    net.isolate(1);
    for (let i = 0; i < 50; i++) net.propose(1, `stale-${i}`);
    elect(net, 2);
    for (let i = 0; i < 5; i++) net.propose(2, `fresh-${i}`);
    net.deliverAll();
    net.heal();
    net.raft(1).step({ type: 'heartbeatRequest', from: 2, to: 1, term: net.raft(2).currentTerm, commit: 0, readRound: 0 });
    net.processReady(1);
    const before = net.deliveredCount.get('appendResponse') ?? 0;
    let rejections = 0;
    for (let round = 0; round < 20; round++) {
      net.tick(2);
      for (const m of net.take(() => true)) {
        if (m.type === 'appendResponse' && m.from === 1 && !m.success) rejections++;
        net.deliver(m);
      }
      net.deliverAll();
    }
    expect((net.deliveredCount.get('appendResponse') ?? 0) - before).toBeGreaterThan(0);
    expect(rejections).toBeLessThanOrEqual(2);
    expect(net.appliedPayloads(1)).toEqual(net.appliedPayloads(2));
    expect(net.appliedPayloads(1)).toHaveLength(5);
  });

  it('propagates the commit index at once, without waiting for a heartbeat tick', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    elect(net, 1);
    net.propose(1, 'a');
    net.deliverAll();
    for (const id of [2, 3]) {
      expect(net.raft(id).commitIndex).toBe(net.raft(1).commitIndex);
      expect(net.appliedPayloads(id)).toEqual(['a']);
    }
  });

  it('batches entries and bounds appends in flight per follower', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { appendEntriesMax: 3, inflightAppendsMax: 2 } });
    elect(net, 1);
    for (let i = 0; i < 20; i++) net.raft(1).propose(new TextEncoder().encode(`p${i}`));
    net.processReady(1);
    const appendsTo2 = net.queue.filter(is('appendRequest', 1, 2));
    expect(appendsTo2).toHaveLength(2);
    for (const m of appendsTo2) expect(m.type === 'appendRequest' && m.entries.length).toBe(3);
    net.deliverAll();
    for (const id of [1, 2, 3]) expect(net.appliedPayloads(id)).toHaveLength(20);
  });

  it('keeps replicating through lost appends (heartbeats reveal the gap)', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    elect(net, 1);
    for (let i = 0; i < 5; i++) {
      net.propose(1, `p${i}`);
      net.drop(is('appendRequest', 1, 3));
      net.deliverAll();
    }
    expect(net.appliedPayloads(3)).toHaveLength(0);
    for (let i = 0; i < 4; i++) {
      net.tick(1);
      net.deliverAll();
    }
    expect(net.appliedPayloads(3)).toEqual(net.appliedPayloads(1));
  });

  it('survives duplicated and reordered appends', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { appendEntriesMax: 1, inflightAppendsMax: 8 } });
    elect(net, 1);
    for (let i = 0; i < 6; i++) net.propose(1, `p${i}`);
    const appends = net.take(is('appendRequest', 1));
    for (const m of [...appends].reverse()) net.deliver(m);
    for (const m of appends) net.deliver(m);
    net.deliverAll();
    for (let i = 0; i < 3; i++) {
      net.tick(1);
      net.deliverAll();
    }
    for (const id of [1, 2, 3]) expect(net.appliedPayloads(id)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
  });

  it('refuses proposals it cannot take, saying why', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { proposalBytesMax: 8, uncommittedBytesMax: 16 } });
    expect(net.propose(1, 'a')).toMatchObject({ ok: false, reason: 'notLeader', leaderId: undefined });
    elect(net, 1);
    expect(net.propose(2, 'a')).toMatchObject({ ok: false, reason: 'notLeader', leaderId: 1 });
    expect(net.propose(1, 'way too large')).toMatchObject({ ok: false, reason: 'tooLarge' });
    net.isolate(1);
    expect(net.propose(1, '12345678').ok).toBe(true);
    expect(net.propose(1, '12345678').ok).toBe(true);
    expect(net.propose(1, '1')).toMatchObject({ ok: false, reason: 'busy' });
    net.heal();
    net.queue = [];
    net.tick(1);
    net.deliverAll();
    expect(net.propose(1, '1').ok).toBe(true);
  });

  it('tells the application which entries to overwrite after a conflict', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3], config: { checkQuorum: false } });
    elect(net, 1);
    net.isolate(1);
    net.propose(1, 'stale');
    net.propose(1, 'stale2');
    elect(net, 2);
    net.propose(2, 'fresh');
    net.deliverAll();
    net.heal();
    const leaderTerm = net.raft(2).currentTerm;
    const follower = net.raft(1);
    follower.step({ type: 'heartbeatRequest', from: 2, to: 1, term: leaderTerm, commit: 0, readRound: 0 });
    net.processReady(1);
    const lastIndex2 = net.raft(2).lastIndex;
    const append = { type: 'appendRequest' as const, from: 2, to: 1, term: leaderTerm, prevLogIndex: 2, prevLogTerm: 2, entries: net.raft(2).entries(3, lastIndex2), commit: 2 };
    follower.step(append);
    const ready = follower.ready();
    expect(ready.truncateFrom).toBe(3);
    expect(ready.entries[0]?.index).toBe(3);
    expect(ready.entries.every((e) => e.term === leaderTerm)).toBe(true);
    follower.advance(ready);
  });
});
