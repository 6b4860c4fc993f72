import { describe, expect, it } from 'vitest';
import { RaftNetwork } from '../testing/raft-network.js';

describe('RaftNode basics', () => {
  it('elects a leader and replicates a proposal to every voter', () => {
    const net = new RaftNetwork({ voters: [1, 2, 3] });
    net.campaign(1);
    net.deliverAll();
    expect(net.leader()).toBe(1);
    const result = net.propose(1, 'a');
    expect(result.ok).toBe(true);
    net.deliverAll();
    for (const id of [1, 2, 3]) expect(net.appliedPayloads(id)).toEqual(['a']);
  });
});
