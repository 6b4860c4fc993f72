import { AssertionError } from '@eddy/base';
import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition, GROUP_STATE_TRANSITIONS, type GroupState } from './group-state.js';
import { bytes, GroupHarness, protocols, text } from './testing/group-harness.js';

/** One member joined, synced and Stable at generation 1 (initial delay 0). */
function singleMember(h: GroupHarness, clientId = 'a'): string {
  const { memberId, requestId } = h.joinNew(clientId);
  expect(h.joinResponse(requestId)).toMatchObject({ errorCode: 'NONE', generationId: 1, leaderId: memberId });
  h.sync(memberId, 1, [{ memberId, assignment: bytes('t-0,t-1') }]);
  expect(h.state).toBe('Stable');
  return memberId;
}

/**
 * Members that joined together (the initial delay gathers them into one generation), then
 * synced with the leader assigning `p<i>` to the i-th member. Needs an initial delay > 0.
 */
function formGroup(
  h: GroupHarness,
  clients: readonly { clientId: string; groupInstanceId?: string; protocols?: readonly string[] }[],
): { ids: string[]; generationId: number; leaderId: string } {
  const pending = clients.map((client) => {
    const request = {
      clientId: client.clientId,
      protocols: protocols(client.protocols ?? ['range'], client.clientId),
      ...(client.groupInstanceId === undefined ? {} : { groupInstanceId: client.groupInstanceId }),
    };
    if (client.groupInstanceId !== undefined) {
      const requestId = h.join(request);
      return { requestId };
    }
    return { requestId: h.joinNew(client.clientId, request).requestId };
  });
  for (let i = 0; i < 100 && pending.some((p) => h.joinResponse(p.requestId) === undefined); i++) h.advance(50);
  const responses = pending.map((p) => h.joinResponse(p.requestId));
  for (const response of responses) expect(response?.errorCode).toBe('NONE');
  const ids = responses.map((r) => r!.memberId);
  const generationId = responses[0]!.generationId;
  const leaderId = responses[0]!.leaderId;
  const syncs = ids.map((id) => (id === leaderId ? -1 : h.sync(id, generationId)));
  const leaderSync = h.sync(
    leaderId,
    generationId,
    ids.map((memberId, i) => ({ memberId, assignment: bytes(`p${i}`) })),
  );
  for (const [i, id] of ids.entries()) {
    const response = h.syncResponse(id === leaderId ? leaderSync : syncs[i]!);
    expect(response).toMatchObject({ errorCode: 'NONE' });
    expect(text(response!.assignment)).toBe(`p${i}`);
  }
  expect(h.state).toBe('Stable');
  return { ids, generationId, leaderId };
}

const lastReasons = (h: GroupHarness): readonly string[] => h.manager.describeGroup(h.groupId)?.rebalanceHistory.at(-1)?.reasons ?? [];

describe('ConsumerGroup: joining and syncing', () => {
  it('takes a single member through join, sync and heartbeats', () => {
    const h = new GroupHarness();
    const first = h.join({ clientId: 'a' });
    // KIP-394: a new member first gets its id, and must join again with it.
    expect(h.joinResponse(first)).toMatchObject({ errorCode: 'MEMBER_ID_REQUIRED', memberId: 'a-1', generationId: -1 });
    expect(h.state).toBe('Empty');

    const second = h.join({ clientId: 'a', memberId: 'a-1' });
    const joined = h.joinResponse(second);
    expect(joined).toMatchObject({ errorCode: 'NONE', generationId: 1, memberId: 'a-1', leaderId: 'a-1', protocolType: 'consumer', protocolName: 'range' });
    expect(joined?.members.map((m) => [m.memberId, m.groupInstanceId, text(m.metadata)])).toEqual([['a-1', null, 'a:range']]);
    expect(h.state).toBe('CompletingRebalance');

    const sync = h.sync('a-1', 1, [{ memberId: 'a-1', assignment: bytes('t-0,t-1') }]);
    expect(h.syncResponse(sync)).toMatchObject({ errorCode: 'NONE', protocolName: 'range' });
    expect(text(h.syncResponse(sync)!.assignment)).toBe('t-0,t-1');
    expect(h.state).toBe('Stable');
    expect(h.persisted).toHaveLength(1);
    expect(h.persisted[0]).toMatchObject({ awaitsResult: true, snapshot: { generationId: 1, leaderId: 'a-1', protocolName: 'range' } });

    for (let i = 0; i < 5; i++) {
      h.advance(400);
      expect(h.heartbeat('a-1', 1)).toBe('NONE');
    }
    expect(h.state).toBe('Stable');
    expect(h.manager.describeGroup('g')).toMatchObject({
      state: 'Stable',
      protocolType: 'consumer',
      protocolName: 'range',
      leaderId: 'a-1',
      generationId: 1,
      members: [{ memberId: 'a-1', clientId: 'a', clientHost: '/10.0.0.1', groupInstanceId: null }],
    });
    expect(text(h.manager.describeGroup('g')!.members[0]!.assignment)).toBe('t-0,t-1');
  });

  it('rebalances when a second member joins: both get the new generation, the leader gets everyone', () => {
    const h = new GroupHarness();
    const a = singleMember(h);
    const b = h.joinNew('b');
    expect(h.state).toBe('PreparingRebalance');
    expect(h.joinResponse(b.requestId)).toBeUndefined();
    expect(lastReasons(h)[0]).toMatch(/member b-2 \(client b, host \/10.0.0.1\) joined/);

    // The existing member learns of the rebalance from its heartbeat, and rejoins.
    expect(h.heartbeat(a, 1)).toBe('REBALANCE_IN_PROGRESS');
    const rejoin = h.join({ clientId: 'a', memberId: a });
    const leader = h.joinResponse(rejoin);
    const follower = h.joinResponse(b.requestId);
    expect(leader).toMatchObject({ errorCode: 'NONE', generationId: 2, leaderId: a, memberId: a });
    expect(follower).toMatchObject({ errorCode: 'NONE', generationId: 2, leaderId: a, memberId: b.memberId, members: [] });
    expect(leader?.members.map((m) => [m.memberId, text(m.metadata)])).toEqual([
      [a, 'a:range'],
      [b.memberId, 'b:range'],
    ]);

    const followerSync = h.sync(b.memberId, 2);
    expect(h.syncResponse(followerSync)).toBeUndefined();
    const leaderSync = h.sync(a, 2, [
      { memberId: a, assignment: bytes('p0') },
      { memberId: b.memberId, assignment: bytes('p1') },
    ]);
    expect(text(h.syncResponse(leaderSync)!.assignment)).toBe('p0');
    expect(text(h.syncResponse(followerSync)!.assignment)).toBe('p1');
    expect(h.state).toBe('Stable');
    expect(h.heartbeat(a, 1)).toBe('ILLEGAL_GENERATION');
    expect(h.heartbeat(a, 2)).toBe('NONE');
  });

  it("holds followers' SyncGroups until the leader's assignment is written", () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 }, autoPersist: false });
    const a = h.joinNew('a');
    const b = h.joinNew('b');
    h.advance(50);
    h.advance(50);
    const generationId = h.joinResponse(a.requestId)!.generationId;
    expect(h.joinResponse(b.requestId)?.generationId).toBe(generationId);

    const followerSync = h.sync(b.memberId, generationId);
    h.advance(100);
    expect(h.syncResponse(followerSync)).toBeUndefined();
    const assignments = [
      { memberId: a.memberId, assignment: bytes('p0') },
      { memberId: b.memberId, assignment: bytes('p1') },
    ];
    const leaderSync = h.sync(a.memberId, generationId, assignments);
    // Written, not yet durable: nobody gets an assignment.
    expect(h.pendingPersists).toHaveLength(1);
    expect(h.syncResponse(leaderSync)).toBeUndefined();
    expect(h.syncResponse(followerSync)).toBeUndefined();
    expect(h.state).toBe('CompletingRebalance');

    // The write fails: everyone waiting hears so, and the group waits for the leader again.
    h.completePersist('COORDINATOR_NOT_AVAILABLE');
    expect(h.syncResponse(leaderSync)?.errorCode).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(h.syncResponse(followerSync)?.errorCode).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(h.state).toBe('CompletingRebalance');

    const followerRetry = h.sync(b.memberId, generationId);
    const leaderRetry = h.sync(a.memberId, generationId, assignments);
    h.completePersist('NONE');
    expect(text(h.syncResponse(leaderRetry)!.assignment)).toBe('p0');
    expect(text(h.syncResponse(followerRetry)!.assignment)).toBe('p1');
    expect(h.state).toBe('Stable');
  });

  it('fails the waiting SyncGroups when the write does not finish in time', () => {
    const h = new GroupHarness({ config: { groupMetadataWriteTimeoutMs: 300 }, autoPersist: false });
    const { memberId, requestId } = h.joinNew('a');
    expect(h.joinResponse(requestId)?.errorCode).toBe('NONE');
    const sync = h.sync(memberId, 1, [{ memberId, assignment: bytes('p0') }]);
    h.advance(299);
    expect(h.syncResponse(sync)).toBeUndefined();
    h.advance(1);
    expect(h.syncResponse(sync)?.errorCode).toBe('COORDINATOR_NOT_AVAILABLE');
    // A late acknowledgement changes nothing.
    h.completePersist('NONE');
    expect(h.state).toBe('CompletingRebalance');
  });

  it('answers a rejoin of an unchanged follower in Stable with the current generation, without a rebalance', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const { ids, generationId, leaderId } = formGroup(h, [{ clientId: 'a' }, { clientId: 'b' }]);
    const follower = ids.find((id) => id !== leaderId)!;
    const rejoin = h.join({ clientId: 'b', memberId: follower });
    expect(h.joinResponse(rejoin)).toMatchObject({ errorCode: 'NONE', generationId, leaderId, members: [] });
    expect(h.state).toBe('Stable');

    // The leader rejoining asks for a rebalance (it saw a metadata change the others cannot see).
    h.join({ clientId: 'a', memberId: leaderId });
    expect(h.state).toBe('PreparingRebalance');
    expect(lastReasons(h)[0]).toMatch(/leader .* rejoined/);
  });

  it('gives a member that missed its JoinGroup response the current generation again', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const a = h.joinNew('a');
    const b = h.joinNew('b');
    h.advance(100);
    const first = h.joinResponse(a.requestId)!;
    expect(h.state).toBe('CompletingRebalance');
    const again = h.join({ clientId: 'a', memberId: a.memberId });
    expect(h.joinResponse(again)).toEqual(first);
    expect(h.joinResponse(b.requestId)?.generationId).toBe(first.generationId);
    expect(h.state).toBe('CompletingRebalance');
  });

  it('chooses the protocol most members prefer among those all support', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const { generationId } = formGroup(h, [
      { clientId: 'a', protocols: ['range', 'sticky'] },
      { clientId: 'b', protocols: ['sticky', 'range', 'roundrobin'] },
      { clientId: 'c', protocols: ['roundrobin', 'sticky', 'range'] },
    ]);
    expect(generationId).toBe(1);
    expect(h.manager.describeGroup('g')?.protocolName).toBe('sticky');
  });

  it('refuses a member that shares no protocol, or another protocol type', () => {
    const h = new GroupHarness();
    singleMember(h);
    const noCommon = h.join({ clientId: 'b', protocols: protocols(['sticky'], 'b') });
    expect(h.joinResponse(noCommon)?.errorCode).toBe('INCONSISTENT_GROUP_PROTOCOL');
    const otherType = h.join({ clientId: 'c', protocolType: 'connect' });
    expect(h.joinResponse(otherType)?.errorCode).toBe('INCONSISTENT_GROUP_PROTOCOL');
    const none = h.join({ clientId: 'd', protocols: [] });
    expect(h.joinResponse(none)?.errorCode).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect(h.state).toBe('Stable');
  });

  it('lets a lone member switch strategies', () => {
    const h = new GroupHarness();
    const a = singleMember(h);
    const rejoin = h.join({ clientId: 'a', memberId: a, protocols: protocols(['sticky'], 'a') });
    expect(h.joinResponse(rejoin)).toMatchObject({ errorCode: 'NONE', generationId: 2, protocolName: 'sticky' });
  });
});

describe('ConsumerGroup: members going away', () => {
  it('removes a member whose session expires, and rebalances', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const { ids, generationId } = formGroup(h, [{ clientId: 'a' }, { clientId: 'b' }]);
    const [a, b] = ids as [string, string];
    h.advance(300);
    expect(h.heartbeat(a, generationId)).toBe('NONE');
    h.advance(199);
    expect(h.state).toBe('Stable');
    h.advance(1); // b has been silent for its whole 500 ms session
    expect(h.state).toBe('PreparingRebalance');
    expect(lastReasons(h)[0]).toMatch(new RegExp(`member ${b} .*session expired`));
    expect(h.heartbeat(b, generationId)).toBe('UNKNOWN_MEMBER_ID');
    expect(h.heartbeat(a, generationId)).toBe('REBALANCE_IN_PROGRESS');
    const rejoin = h.join({ clientId: 'a', memberId: a });
    expect(h.joinResponse(rejoin)).toMatchObject({ errorCode: 'NONE', generationId: generationId + 1, leaderId: a });
    expect(h.joinResponse(rejoin)?.members.map((m) => m.memberId)).toEqual([a]);
  });

  it('drops a member that keeps heartbeating but does not rejoin within the rebalance timeout', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const { ids, generationId } = formGroup(h, [{ clientId: 'a' }, { clientId: 'b' }]);
    const [a, b] = ids as [string, string];
    const c = h.joinNew('c');
    const startMs = h.nowMs;
    const rejoin = h.join({ clientId: 'a', memberId: a });
    // b is alive (its heartbeats keep its session) but stuck: it never rejoins.
    while (h.nowMs < startMs + 800) {
      h.advance(200);
      expect(h.heartbeat(b, generationId)).toBe('REBALANCE_IN_PROGRESS');
    }
    expect(h.joinResponse(rejoin)).toBeUndefined();
    h.advance(startMs + 1000 - h.nowMs);
    expect(h.joinResponse(rejoin)).toMatchObject({ errorCode: 'NONE', generationId: generationId + 1 });
    expect(h.joinResponse(c.requestId)).toMatchObject({ errorCode: 'NONE', generationId: generationId + 1 });
    expect(h.joinResponse(rejoin)?.members.map((m) => m.memberId)).toEqual([a, c.memberId]);
    expect(h.heartbeat(b, generationId)).toBe('UNKNOWN_MEMBER_ID');
    expect(lastReasons(h)).toContainEqual(expect.stringMatching(new RegExp(`member ${b} did not rejoin within the rebalance timeout`)));
  });

  it('rebalances when a member leaves', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const { ids, generationId } = formGroup(h, [{ clientId: 'a' }, { clientId: 'b' }]);
    const [a, b] = ids as [string, string];
    expect(h.leave([{ memberId: b, reason: 'the consumer is closing' }])).toEqual({
      errorCode: 'NONE',
      members: [{ memberId: b, groupInstanceId: null, errorCode: 'NONE' }],
    });
    expect(h.state).toBe('PreparingRebalance');
    expect(lastReasons(h)[0]).toMatch(new RegExp(`member ${b} .*left the group: the consumer is closing`));
    expect(h.heartbeat(a, generationId)).toBe('REBALANCE_IN_PROGRESS');
    const rejoin = h.join({ clientId: 'a', memberId: a });
    // Everyone left has rejoined: the join phase ends at once.
    expect(h.joinResponse(rejoin)).toMatchObject({ errorCode: 'NONE', generationId: generationId + 1 });
    expect(h.leave([{ memberId: 'nobody' }]).members[0]?.errorCode).toBe('UNKNOWN_MEMBER_ID');
  });

  it('removes members that do not send SyncGroup within the rebalance timeout', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const a = h.joinNew('a');
    const b = h.joinNew('b');
    h.advance(100);
    const generationId = h.joinResponse(a.requestId)!.generationId;
    const leaderSync = h.sync(a.memberId, generationId, [{ memberId: a.memberId, assignment: bytes('p0') }]);
    expect(h.state).toBe('Stable');
    expect(h.syncResponse(leaderSync)?.errorCode).toBe('NONE');
    // b got its JoinGroup response but never asks for its assignment; it does heartbeat.
    for (let i = 0; i < 4; i++) {
      h.advance(240);
      expect(h.heartbeat(b.memberId, generationId)).toBe('NONE');
      expect(h.heartbeat(a.memberId, generationId)).toBe('NONE');
    }
    h.advance(40);
    expect(h.state).toBe('PreparingRebalance');
    expect(lastReasons(h)[0]).toMatch(new RegExp(`members ${b.memberId} did not send SyncGroup`));
    expect(h.heartbeat(b.memberId, generationId)).toBe('UNKNOWN_MEMBER_ID');
  });

  it('answers the followers REBALANCE_IN_PROGRESS when the leader never syncs, and picks a new leader', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const a = h.joinNew('a');
    const b = h.joinNew('b');
    h.advance(100);
    const generationId = h.joinResponse(b.requestId)!.generationId;
    expect(h.joinResponse(b.requestId)?.leaderId).toBe(a.memberId);
    const followerSync = h.sync(b.memberId, generationId);
    // The leader's SyncGroup is lost; it keeps heartbeating, so only the sync deadline catches it.
    for (let i = 0; i < 3; i++) {
      h.advance(250);
      expect(h.heartbeat(a.memberId, generationId)).toBe('NONE');
    }
    h.advance(249);
    expect(h.syncResponse(followerSync)).toBeUndefined();
    h.advance(1); // the rebalance timeout after the generation formed
    expect(h.syncResponse(followerSync)?.errorCode).toBe('REBALANCE_IN_PROGRESS');
    expect(lastReasons(h)[0]).toMatch(new RegExp(`members ${a.memberId} did not send SyncGroup`));
    const rejoin = h.join({ clientId: 'b', memberId: b.memberId });
    expect(h.joinResponse(rejoin)).toMatchObject({ errorCode: 'NONE', generationId: generationId + 1, leaderId: b.memberId });
  });

  it('becomes Empty when everyone leaves, and Dead when deleted', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const { ids, generationId } = formGroup(h, [{ clientId: 'a' }, { clientId: 'b' }]);
    expect(h.manager.deleteGroup('g', h.nowMs).errorCode).toBe('NON_EMPTY_GROUP');
    h.leave(ids.map((memberId) => ({ memberId })));
    expect(h.state).toBe('Empty');
    expect(h.generationId).toBe(generationId + 1);
    expect(h.persisted.at(-1)).toMatchObject({ awaitsResult: false, snapshot: { generationId: generationId + 1, members: [], protocolName: null, leaderId: null } });
    expect(h.manager.listGroups()).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Empty' }]);

    const deleted = h.manager.deleteGroup('g', h.nowMs);
    expect(deleted.errorCode).toBe('NONE');
    expect(deleted.effects).toContainEqual({ type: 'deleteGroupMetadata', groupId: 'g' });
    expect(h.manager.describeGroup('g')).toBeUndefined();
    expect(h.manager.deleteGroup('g', h.nowMs).errorCode).toBe('GROUP_ID_NOT_FOUND');
    expect(h.heartbeat(ids[0]!, generationId)).toBe('UNKNOWN_MEMBER_ID');
  });
});

describe('ConsumerGroup: static membership', () => {
  it('replaces a restarted static member without a rebalance, and fences the old instance', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const { ids, generationId, leaderId } = formGroup(h, [{ clientId: 'a', groupInstanceId: 'i-a' }, { clientId: 'b' }]);
    const [oldA, b] = ids as [string, string];
    expect(leaderId).toBe(oldA);
    const historyBefore = h.manager.describeGroup('g')!.rebalanceHistory;
    const persistedBefore = h.persisted.length;

    // The process restarts: no LeaveGroup, a JoinGroup with its instance id and no member id.
    const restart = h.join({ clientId: 'a', groupInstanceId: 'i-a' });
    const response = h.joinResponse(restart)!;
    expect(response).toMatchObject({ errorCode: 'NONE', generationId, leaderId: response.memberId, members: [], skipAssignment: true });
    expect(response.memberId).not.toBe(oldA);
    expect(h.state).toBe('Stable');
    expect(h.manager.describeGroup('g')!.rebalanceHistory).toEqual(historyBefore);
    expect(h.persisted.slice(persistedBefore)).toHaveLength(1);
    expect(h.persisted.at(-1)?.snapshot.members.map((m) => m.memberId)).toEqual([response.memberId, b]);

    const sync = h.sync(response.memberId, generationId, [], { groupInstanceId: 'i-a' });
    expect(text(h.syncResponse(sync)!.assignment)).toBe('p0');
    expect(h.heartbeat(oldA, generationId, { groupInstanceId: 'i-a' })).toBe('FENCED_INSTANCE_ID');
    expect(h.commit(oldA, generationId, { groupInstanceId: 'i-a' })).toEqual({ accepted: false, errorCode: 'FENCED_INSTANCE_ID' });
    const zombieJoin = h.join({ clientId: 'a', memberId: oldA, groupInstanceId: 'i-a' });
    expect(h.joinResponse(zombieJoin)?.errorCode).toBe('FENCED_INSTANCE_ID');
    expect(h.heartbeat(b, generationId)).toBe('NONE');
    expect(h.heartbeat(response.memberId, generationId, { groupInstanceId: 'i-a' })).toBe('NONE');
  });

  it('rebalances a restarted static member whose protocols change the choice', () => {
    const h = new GroupHarness();
    const first = h.join({ clientId: 'a', groupInstanceId: 'i-a' });
    const memberId = h.joinResponse(first)!.memberId;
    h.sync(memberId, 1, [{ memberId, assignment: bytes('p0') }]);
    const restart = h.join({ clientId: 'a', groupInstanceId: 'i-a', protocols: protocols(['sticky'], 'a') });
    expect(h.joinResponse(restart)).toMatchObject({ errorCode: 'NONE', generationId: 2, protocolName: 'sticky' });
    expect(lastReasons(h)[0]).toMatch(/static member i-a restarted .* with a different protocol preference/);
  });

  it('keeps a static member that did not rejoin through the join phase (it may be restarting)', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const { ids, generationId } = formGroup(h, [{ clientId: 'a' }, { clientId: 's', groupInstanceId: 'i-s' }]);
    const [a, s] = ids as [string, string];
    h.triggerRebalanceFor('partition count of topic t changed from 2 to 4');
    const rejoin = h.join({ clientId: 'a', memberId: a });
    for (let i = 0; i < 5; i++) {
      h.advance(200);
      // Alive (its heartbeats keep its session) but not rejoining before the deadline.
      if (h.joinResponse(rejoin) === undefined) expect(h.heartbeat(s, generationId, { groupInstanceId: 'i-s' })).toBe('REBALANCE_IN_PROGRESS');
    }
    expect(h.joinResponse(rejoin)?.members.map((m) => m.memberId)).toEqual([a, s]);
    // It is still in the generation and comes back with the same id.
    const back = h.join({ clientId: 's', memberId: s, groupInstanceId: 'i-s' });
    expect(h.joinResponse(back)).toMatchObject({ errorCode: 'NONE', generationId: generationId + 1 });
  });

  it('lets an admin remove a static member by instance id', () => {
    const h = new GroupHarness();
    const first = h.join({ clientId: 'a', groupInstanceId: 'i-a' });
    const memberId = h.joinResponse(first)!.memberId;
    h.sync(memberId, 1, [{ memberId, assignment: bytes('p0') }]);
    expect(h.leave([{ memberId: '', groupInstanceId: 'i-a' }, { memberId: '', groupInstanceId: 'i-x' }]).members.map((m) => m.errorCode)).toEqual([
      'NONE',
      'UNKNOWN_MEMBER_ID',
    ]);
    expect(h.state).toBe('Empty');
  });
});

describe('ConsumerGroup: rebalance triggers and timing', () => {
  it('holds back an Empty group\'s first join phase, extended by new members up to the rebalance timeout', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 300 } });
    const a = h.joinNew('a');
    h.advance(200);
    const b = h.joinNew('b');
    h.advance(300); // t=500: the first delay ended at 300 with b new, so it was extended to 600
    const c = h.joinNew('c');
    h.advance(399); // t=899
    expect([a, b, c].map((m) => h.joinResponse(m.requestId))).toEqual([undefined, undefined, undefined]);
    h.advance(1); // t=900: c joined during the second delay, no one during the third
    for (const m of [a, b, c]) expect(h.joinResponse(m.requestId)).toMatchObject({ errorCode: 'NONE', generationId: 1, leaderId: a.memberId });

    // A steady stream of new members cannot hold the group back beyond the rebalance timeout.
    const g = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 300 } });
    const first = g.joinNew('m0');
    for (let i = 1; i <= 9 && g.joinResponse(first.requestId) === undefined; i++) {
      g.advance(100);
      g.joinNew(`m${i}`);
    }
    expect(g.nowMs).toBe(900);
    expect(g.joinResponse(first.requestId)).toBeUndefined();
    g.advance(100);
    expect(g.joinResponse(first.requestId)).toMatchObject({ errorCode: 'NONE', generationId: 1 });
  });

  it('rebalances on an external trigger and records why', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const { ids, generationId } = formGroup(h, [{ clientId: 'a' }, { clientId: 'b' }]);
    h.triggerRebalanceFor('partition count of topic orders changed from 3 to 6');
    expect(h.state).toBe('PreparingRebalance');
    expect(h.heartbeat(ids[1]!, generationId)).toBe('REBALANCE_IN_PROGRESS');
    h.triggerRebalanceFor('partition orders-2 went offline');
    expect(lastReasons(h)).toEqual(['partition count of topic orders changed from 3 to 6', 'partition orders-2 went offline']);
    expect(h.manager.describeGroup('g')?.rebalanceHistory.at(-1)).toMatchObject({ fromGenerationId: generationId });
    expect(h.logText()).toMatch(/preparing to rebalance generation \d+: partition count of topic orders changed/);

    const empty = new GroupHarness();
    const a = singleMember(empty);
    empty.leave([{ memberId: a }]);
    expect(empty.triggerRebalanceFor('partition count of topic t changed')).toEqual([
      expect.objectContaining({ type: 'log', level: 'debug' }),
    ]);
    expect(empty.state).toBe('Empty');
  });

  it('answers heartbeats REBALANCE_IN_PROGRESS during the join phase and NONE once the generation is formed', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const { ids, generationId } = formGroup(h, [{ clientId: 'a' }, { clientId: 'b' }]);
    const [a, b] = ids as [string, string];
    h.triggerRebalanceFor('test');
    expect(h.heartbeat(a, generationId)).toBe('REBALANCE_IN_PROGRESS');
    expect(h.heartbeat(b, generationId)).toBe('REBALANCE_IN_PROGRESS');
    const ja = h.join({ clientId: 'a', memberId: a });
    h.join({ clientId: 'b', memberId: b });
    expect(h.state).toBe('CompletingRebalance');
    const next = h.joinResponse(ja)!.generationId;
    expect(h.heartbeat(b, next)).toBe('NONE');
    expect(h.heartbeat(b, generationId)).toBe('ILLEGAL_GENERATION');
    const sync = h.sync(b, generationId);
    expect(h.syncResponse(sync)?.errorCode).toBe('ILLEGAL_GENERATION');
  });

  it('keeps a bounded history of rebalances and reasons', () => {
    const h = new GroupHarness();
    const a = singleMember(h);
    for (let i = 0; i < 40; i++) {
      h.triggerRebalanceFor(`trigger ${i}`);
      for (let j = 0; j < 20; j++) h.triggerRebalanceFor(`extra ${i}.${j}`);
      const rejoin = h.join({ clientId: 'a', memberId: a });
      const generationId = h.joinResponse(rejoin)!.generationId;
      h.sync(a, generationId, [{ memberId: a, assignment: bytes('p') }]);
    }
    const history = h.manager.describeGroup('g')!.rebalanceHistory;
    expect(history).toHaveLength(32);
    expect(history.at(-1)?.reasons).toHaveLength(16);
    expect(history.at(-1)?.reasons[0]).toBe('trigger 39');
    expect(history.at(-1)?.omittedReasonCount).toBe(5);
  });
});

describe('ConsumerGroup: offset commits', () => {
  it('accepts commits of the current generation and rejects stale ones', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const { ids, generationId } = formGroup(h, [{ clientId: 'a' }, { clientId: 'b' }]);
    const [a, b] = ids as [string, string];
    expect(h.commit(a, generationId)).toEqual({ accepted: true });
    expect(h.commit(a, generationId - 1)).toEqual({ accepted: false, errorCode: 'ILLEGAL_GENERATION' });
    expect(h.commit('stranger', generationId)).toEqual({ accepted: false, errorCode: 'UNKNOWN_MEMBER_ID' });
    expect(h.commit('', -1)).toEqual({ accepted: false, errorCode: 'UNKNOWN_MEMBER_ID' });

    // During the join phase members commit what they processed before rejoining (Kafka's rule).
    h.triggerRebalanceFor('test');
    expect(h.commit(b, generationId)).toEqual({ accepted: true });
    h.join({ clientId: 'a', memberId: a });
    const jb = h.join({ clientId: 'b', memberId: b });
    const next = h.joinResponse(jb)!.generationId;
    // The new generation is formed but b has no assignment yet; the old generation is over.
    expect(h.commit(b, next)).toEqual({ accepted: false, errorCode: 'REBALANCE_IN_PROGRESS' });
    expect(h.commit(b, generationId)).toEqual({ accepted: false, errorCode: 'ILLEGAL_GENERATION' });
  });

  it('accepts simple commits (generation -1, no member) only for an Empty or unknown group', () => {
    const h = new GroupHarness();
    expect(h.commit('', -1, { groupId: 'simple' })).toEqual({ accepted: true });
    expect(h.manager.listGroups()).toContainEqual({ groupId: 'simple', protocolType: null, state: 'Empty' });
    expect(h.commit('m', 3, { groupId: 'unknown' })).toEqual({ accepted: false, errorCode: 'ILLEGAL_GENERATION' });
    const a = singleMember(h);
    expect(h.commit('', -1)).toEqual({ accepted: false, errorCode: 'UNKNOWN_MEMBER_ID' });
    h.leave([{ memberId: a }]);
    expect(h.commit('', -1)).toEqual({ accepted: true });
  });

  it('keeps a member alive through its commits', () => {
    const h = new GroupHarness();
    const a = singleMember(h);
    for (let i = 0; i < 5; i++) {
      h.advance(400);
      expect(h.commit(a, 1)).toEqual({ accepted: true });
    }
    expect(h.state).toBe('Stable');
  });
});

describe('ConsumerGroup: request validation', () => {
  it('refuses bad session timeouts, a full group, unknown and fenced members', () => {
    const h = new GroupHarness({ config: { groupMaxSize: 2, groupMaxSessionTimeoutMs: 10_000 } });
    expect(h.joinResponse(h.join({ sessionTimeoutMs: 9 }))?.errorCode).toBe('INVALID_SESSION_TIMEOUT');
    expect(h.joinResponse(h.join({ sessionTimeoutMs: 10_001 }))?.errorCode).toBe('INVALID_SESSION_TIMEOUT');
    expect(h.joinResponse(h.join({ rebalanceTimeoutMs: 0 }))?.errorCode).toBe('INVALID_REQUEST');
    expect(h.manager.listGroups()).toEqual([]);
    expect(h.joinResponse(h.join({ memberId: 'ghost' }))?.errorCode).toBe('UNKNOWN_MEMBER_ID');

    singleMember(h, 'a');
    h.join({ clientId: 'b' }); // pending: counts toward the size
    expect(h.joinResponse(h.join({ clientId: 'c' }))?.errorCode).toBe('GROUP_MAX_SIZE_REACHED');
    expect(h.joinResponse(h.join({ clientId: 'c', memberId: 'ghost' }))?.errorCode).toBe('UNKNOWN_MEMBER_ID');
  });

  it('forgets a member id handed out with MEMBER_ID_REQUIRED that is not used in time', () => {
    const h = new GroupHarness();
    const first = h.joinResponse(h.join({ clientId: 'a' }))!;
    h.advance(500);
    expect(h.joinResponse(h.join({ clientId: 'a', memberId: first.memberId }))?.errorCode).toBe('UNKNOWN_MEMBER_ID');
  });

  it('refuses requests for groups this node does not coordinate, and invalid group ids', () => {
    const h = new GroupHarness();
    const join = (groupId: string): string | undefined => {
      const effects = h.manager.joinGroup(
        { requestId: 99, groupId, memberId: '', clientId: 'c', clientHost: 'h', sessionTimeoutMs: 100, rebalanceTimeoutMs: 100, protocolType: 'consumer', protocols: protocols(['range'], 'c') },
        h.nowMs,
      );
      const effect = effects[0];
      return effect?.type === 'respondJoin' ? effect.response.errorCode : undefined;
    };
    expect(join('')).toBe('INVALID_GROUP_ID');
    expect(join('x'.repeat(1025))).toBe('INVALID_GROUP_ID');
    h.manager.resignCoordinator(0, h.nowMs);
    expect(join('g')).toBe('NOT_COORDINATOR');
  });

  it('checks the protocol named in SyncGroup, and refuses SyncGroup during the join phase', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const { ids, generationId } = formGroup(h, [{ clientId: 'a' }, { clientId: 'b' }]);
    const requestId = 1000;
    const effects = h.record(h.manager.syncGroup({ requestId, groupId: 'g', memberId: ids[1]!, generationId, protocolName: 'sticky', assignments: [] }, h.nowMs));
    const answer = effects.find((e) => e.type === 'respondSync' && e.requestId === requestId);
    expect(answer?.type === 'respondSync' ? answer.response.errorCode : undefined).toBe('INCONSISTENT_GROUP_PROTOCOL');
    h.triggerRebalanceFor('test');
    expect(h.syncResponse(h.sync(ids[1]!, generationId))?.errorCode).toBe('REBALANCE_IN_PROGRESS');
    expect(h.syncResponse(h.sync('ghost', generationId))?.errorCode).toBe('UNKNOWN_MEMBER_ID');
  });
});

describe('group state transitions', () => {
  const states: GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

  it("are Kafka's table and nothing else", () => {
    expect(GROUP_STATE_TRANSITIONS).toEqual({
      Empty: ['PreparingRebalance', 'Dead'],
      PreparingRebalance: ['CompletingRebalance', 'Empty', 'Dead'],
      CompletingRebalance: ['Stable', 'PreparingRebalance', 'Dead'],
      Stable: ['PreparingRebalance', 'Dead'],
      Dead: [],
    });
  });

  it('fail an assertion on an illegal transition', () => {
    for (const from of states) {
      for (const to of states) {
        if (canTransition(from, to)) expect(() => assertTransition('g', from, to)).not.toThrow();
        else expect(() => assertTransition('g', from, to)).toThrow(AssertionError);
      }
    }
    expect(() => assertTransition('g', 'Stable', 'Empty')).toThrow(/group g: illegal transition Stable → Empty/);
  });
});
