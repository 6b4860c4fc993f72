import { AssertionError, Prng } from '@eddy/base';
import { describe, expect, it } from 'vitest';
import { coordinatorPartitionFor } from './coordinator-partition.js';
import { GroupManager } from './group-manager.js';
import { decodeGroupSnapshot, encodeGroupSnapshot, GroupMetadataError } from './group-snapshot-codec.js';
import type { GroupEffect, GroupSnapshot } from './group-types.js';
import { groupCoordinatorConfig } from './limits.js';
import { prngMemberIdGenerator } from './member-id.js';
import { bytes, GroupHarness, text } from './testing/group-harness.js';

/** A static member and a dynamic one, Stable, with assignments p0 and p1. */
function stableGroup(h: GroupHarness): { a: string; b: string; generationId: number } {
  const a = h.joinResponse(h.join({ clientId: 'a', groupInstanceId: 'i-a' }))!;
  expect(a.errorCode).toBe('NONE');
  h.sync(a.memberId, 1, [{ memberId: a.memberId, assignment: bytes('p0') }]);
  const b = h.joinNew('b');
  const rejoin = h.join({ clientId: 'a', memberId: a.memberId, groupInstanceId: 'i-a' });
  const generationId = h.joinResponse(rejoin)!.generationId;
  h.sync(b.memberId, generationId);
  h.sync(a.memberId, generationId, [
    { memberId: a.memberId, assignment: bytes('p0') },
    { memberId: b.memberId, assignment: bytes('p1') },
  ]);
  expect(h.state).toBe('Stable');
  return { a: a.memberId, b: b.memberId, generationId };
}

const responseCodes = (effects: readonly GroupEffect[]): string[] =>
  effects.flatMap((e) => (e.type === 'respondJoin' || e.type === 'respondSync' || e.type === 'respondHeartbeat' ? [e.response.errorCode] : []));

describe('coordinatorPartitionFor', () => {
  it("matches Kafka's abs(String.hashCode) % partitions", () => {
    expect(coordinatorPartitionFor('my-group', 50)).toBe(12); // hashCode -1906497762
    expect(coordinatorPartitionFor('console-consumer-12345', 50)).toBe(6); // hashCode 158455506
    expect(coordinatorPartitionFor('g', 50)).toBe(3);
    expect(coordinatorPartitionFor('polygenelubricants', 50)).toBe(0); // hashCode Integer.MIN_VALUE
  });
});

describe('group snapshots', () => {
  it('round-trip through bytes', () => {
    const h = new GroupHarness();
    stableGroup(h);
    const snapshot = h.persisted.at(-1)!.snapshot;
    expect(decodeGroupSnapshot(encodeGroupSnapshot(snapshot))).toEqual(snapshot);
    expect(h.manager.snapshot('g')).toEqual(snapshot);
  });

  it('record when an Empty group turned Empty, so a new coordinator counts offset retention from then', () => {
    const h = new GroupHarness();
    const { a, b } = stableGroup(h);
    expect(h.manager.emptySinceMs('g')).toBeUndefined();
    h.advance(100);
    h.leave([{ memberId: a, groupInstanceId: 'i-a' }, { memberId: b }]);
    expect(h.state).toBe('Empty');
    const emptyAtMs = h.nowMs;
    expect(h.manager.emptySinceMs('g')).toBe(emptyAtMs);
    const snapshot = h.persisted.at(-1)!.snapshot;
    expect(snapshot).toMatchObject({ members: [], emptySinceMs: emptyAtMs });
    expect(decodeGroupSnapshot(encodeGroupSnapshot(snapshot))).toEqual(snapshot);
    const next = new GroupManager({ prng: new Prng(3), config: { offsetsTopicPartitionCount: 1 } });
    next.becomeCoordinator(0, [snapshot], emptyAtMs + 60_000);
    expect(next.emptySinceMs('g')).toBe(emptyAtMs);
    // A snapshot from before the field existed: Empty since the takeover.
    const { emptySinceMs: _dropped, ...older } = snapshot;
    const other = new GroupManager({ prng: new Prng(3), config: { offsetsTopicPartitionCount: 1 } });
    other.becomeCoordinator(0, [older], emptyAtMs + 60_000);
    expect(other.emptySinceMs('g')).toBe(emptyAtMs + 60_000);
  });

  it.each([
    ['not JSON', 'nope'],
    ['another version', '{"version":2}'],
    ['members without a protocol', '{"version":1,"groupId":"g","generationId":1,"protocolType":null,"protocolName":null,"leaderId":"m","members":[{"memberId":"m","groupInstanceId":null,"clientId":"c","clientHost":"h","sessionTimeoutMs":10,"rebalanceTimeoutMs":10,"subscription":"","assignment":""}],"rebalanceHistory":[]}'],
    ['bad base64', '{"version":1,"groupId":"g","generationId":1,"protocolType":"consumer","protocolName":"range","leaderId":"m","members":[{"memberId":"m","groupInstanceId":null,"clientId":"c","clientHost":"h","sessionTimeoutMs":10,"rebalanceTimeoutMs":10,"subscription":"!!","assignment":""}],"rebalanceHistory":[]}'],
    ['a negative generation', '{"version":1,"groupId":"g","generationId":-1,"protocolType":null,"protocolName":null,"leaderId":null,"members":[],"rebalanceHistory":[]}'],
  ])('refuse %s as corrupt', (_what, json) => {
    expect(() => decodeGroupSnapshot(bytes(json))).toThrow(GroupMetadataError);
  });

  it('let a new coordinator carry on where the old one stopped', () => {
    const old = new GroupHarness();
    const { a, b, generationId } = stableGroup(old);
    const snapshot: GroupSnapshot = decodeGroupSnapshot(encodeGroupSnapshot(old.persisted.at(-1)!.snapshot));

    // The old coordinator's partition moves; the members' next requests go to the new one.
    const takeoverMs = 10_000;
    const next = new GroupManager({ prng: new Prng(2), config: { offsetsTopicPartitionCount: 1, groupMinSessionTimeoutMs: 10 } });
    next.becomeCoordinator(0, [snapshot], takeoverMs);
    expect(next.describeGroup('g')).toMatchObject({ state: 'Stable', generationId, leaderId: a, protocolName: 'range' });
    expect(next.describeGroup('g')!.members.map((m) => [m.memberId, m.groupInstanceId, text(m.assignment)])).toEqual([
      [a, 'i-a', 'p0'],
      [b, null, 'p1'],
    ]);
    expect(next.describeGroup('g')!.rebalanceHistory).toEqual(old.manager.describeGroup('g')!.rebalanceHistory);

    // Sessions restart at takeover: a member that keeps heartbeating stays, a silent one expires.
    let requestId = 1;
    const heartbeat = (memberId: string, nowMs: number): string[] =>
      responseCodes(next.heartbeat({ requestId: requestId++, groupId: 'g', memberId, generationId }, nowMs));
    expect(heartbeat(a, takeoverMs + 300)).toEqual(['NONE']);
    expect(next.nextDeadlineMs()).toBe(takeoverMs + 500);
    next.tick(takeoverMs + 499);
    expect(next.describeGroup('g')?.state).toBe('Stable');
    next.tick(takeoverMs + 500);
    expect(next.describeGroup('g')?.state).toBe('PreparingRebalance');
    expect(next.describeGroup('g')!.rebalanceHistory.at(-1)?.reasons[0]).toMatch(new RegExp(`member ${b} .*session expired`));
    const sync = next.syncGroup({ requestId: requestId++, groupId: 'g', memberId: a, generationId, assignments: [] }, takeoverMs + 501);
    expect(responseCodes(sync)).toEqual(['REBALANCE_IN_PROGRESS']);
  });

  it('restore an Empty group as Empty', () => {
    const h = new GroupHarness();
    const { a, b } = stableGroup(h);
    h.leave([{ memberId: a, groupInstanceId: 'i-a' }, { memberId: b }]);
    const snapshot = h.persisted.at(-1)!.snapshot;
    const next = new GroupManager({ prng: new Prng(2), config: { offsetsTopicPartitionCount: 1 } });
    next.becomeCoordinator(0, [snapshot], 0);
    expect(next.describeGroup('g')).toMatchObject({ state: 'Empty', generationId: snapshot.generationId, members: [] });
  });
});

describe('GroupManager', () => {
  it('answers waiting requests NOT_COORDINATOR when its partition moves away', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 1000 } });
    const { requestId } = h.joinNew('a');
    expect(h.joinResponse(requestId)).toBeUndefined();
    h.record(h.manager.resignCoordinator(0, h.nowMs));
    expect(h.joinResponse(requestId)?.errorCode).toBe('NOT_COORDINATOR');
    expect(h.manager.listGroups()).toEqual([]);
    expect(h.manager.isCoordinatorFor('g')).toBe(false);
    expect(h.heartbeat('a-1', 1)).toBe('NOT_COORDINATOR');
    expect(h.commit('a-1', 1)).toEqual({ accepted: false, errorCode: 'NOT_COORDINATOR' });
  });

  it('coordinates only the groups of its partitions', () => {
    const manager = new GroupManager({ prng: new Prng(3), config: { offsetsTopicPartitionCount: 50 } });
    manager.becomeCoordinator(manager.partitionFor('my-group'), [], 0);
    expect(manager.partitionFor('my-group')).toBe(12);
    expect(manager.isCoordinatorFor('my-group')).toBe(true);
    expect(manager.isCoordinatorFor('g')).toBe(false);
    const snapshot: GroupSnapshot = { version: 1, groupId: 'g', generationId: 0, protocolType: null, protocolName: null, leaderId: null, members: [], rebalanceHistory: [] };
    expect(() => manager.becomeCoordinator(manager.partitionFor('my-group'), [], 0)).toThrow(AssertionError);
    expect(() => manager.becomeCoordinator(manager.partitionFor('g'), [{ ...snapshot, groupId: 'my-group' }], 0)).toThrow(/not stored in partition/);
  });

  it('hands members the leader left out an empty assignment, and ignores assignments to strangers', () => {
    const h = new GroupHarness({ config: { groupInitialRebalanceDelayMs: 50 } });
    const a = h.joinNew('a');
    const b = h.joinNew('b');
    h.advance(100);
    const generationId = h.joinResponse(a.requestId)!.generationId;
    const followerSync = h.sync(b.memberId, generationId);
    // More members than partitions: the leader's assignor gave b nothing.
    h.sync(a.memberId, generationId, [
      { memberId: a.memberId, assignment: bytes('p0') },
      { memberId: 'stranger', assignment: bytes('p1') },
    ]);
    expect(h.syncResponse(followerSync)).toMatchObject({ errorCode: 'NONE', assignment: new Uint8Array() });
    expect(h.state).toBe('Stable');
    expect(h.logText()).toMatch(/the leader assigned to members not in generation \d+: stranger/);
    expect(h.persisted.at(-1)?.snapshot.members.map((m) => [m.memberId, text(m.assignment)])).toEqual([
      [a.memberId, 'p0'],
      [b.memberId, ''],
    ]);
  });

  it('checks the relations of its configuration', () => {
    expect(() => groupCoordinatorConfig({ groupMinSessionTimeoutMs: 10_000, groupMaxSessionTimeoutMs: 5_000 })).toThrow(AssertionError);
    expect(() => groupCoordinatorConfig({ groupMaxSize: 0 })).toThrow(/group.max.size/);
    expect(() => groupCoordinatorConfig({ groupInitialRebalanceDelayMs: -1 })).toThrow(AssertionError);
    expect(groupCoordinatorConfig()).toMatchObject({ groupMinSessionTimeoutMs: 6_000, groupMaxSessionTimeoutMs: 1_800_000, groupInitialRebalanceDelayMs: 3_000 });
  });

  it('refuses time that goes back', () => {
    const h = new GroupHarness();
    h.advance(100);
    expect(() => h.manager.tick(50)).toThrow(/time goes back/);
  });

  it('refuses oversized or malformed requests with INVALID_REQUEST', () => {
    const h = new GroupHarness();
    expect(h.joinResponse(h.join({ protocols: [{ name: 'range', metadata: new Uint8Array(1024 * 1024 + 1) }] }))?.errorCode).toBe('INVALID_REQUEST');
    expect(
      h.joinResponse(
        h.join({
          protocols: [
            { name: 'range', metadata: bytes('') },
            { name: 'range', metadata: bytes('') },
          ],
        }),
      )?.errorCode,
    ).toBe('INVALID_REQUEST');
    expect(h.joinResponse(h.join({ groupInstanceId: '' }))?.errorCode).toBe('INVALID_REQUEST');
    expect(h.heartbeat('m', 1.5)).toBe('INVALID_REQUEST');
    expect(h.leave([]).errorCode).toBe('INVALID_REQUEST');
  });
});

describe('prngMemberIdGenerator', () => {
  it('draws clientId-uuid ids, the same for the same seed', () => {
    const a = prngMemberIdGenerator(new Prng(7));
    const b = prngMemberIdGenerator(new Prng(7));
    const id = a('consumer-1');
    expect(id).toMatch(/^consumer-1-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b('consumer-1')).toBe(id);
    expect(a('consumer-1')).not.toBe(id);
  });
});
