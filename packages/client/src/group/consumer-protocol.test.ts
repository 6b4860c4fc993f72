import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  GroupProtocolError,
  toAssignorMember,
} from './consumer-protocol.js';
import { groupClientLimits } from './limits.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('consumer protocol', () => {
  it('round-trips a subscription, sorted and without duplicates', () => {
    const encoded = encodeSubscription({
      topics: ['b', 'a', 'b'],
      ownedPartitions: [
        { topic: 'b', partition: 2 },
        { topic: 'a', partition: 1 },
        { topic: 'b', partition: 0 },
      ],
      generationId: 4,
    });
    expect(new TextDecoder().decode(encoded)).toBe(
      '{"version":1,"topics":["a","b"],"ownedPartitions":[{"topic":"a","partitions":[1]},{"topic":"b","partitions":[0,2]}],"generationId":4}',
    );
    expect(decodeSubscription(encoded)).toEqual({
      topics: ['a', 'b'],
      ownedPartitions: [
        { topic: 'a', partition: 1 },
        { topic: 'b', partition: 0 },
        { topic: 'b', partition: 2 },
      ],
      generationId: 4,
    });
  });

  it('round-trips any assignment', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.record({ topic: fc.constantFrom('x', 'y', 'z.1'), partition: fc.nat(1000) }), { selector: (tp) => `${tp.topic}/${tp.partition}` }), (partitions) => {
        const decoded = decodeAssignment(encodeAssignment({ partitions }));
        expect(new Set(decoded.partitions.map((tp) => `${tp.topic}/${tp.partition}`))).toEqual(new Set(partitions.map((tp) => `${tp.topic}/${tp.partition}`)));
        expect(decoded.partitions).toHaveLength(partitions.length);
      }),
    );
  });

  it('reads empty assignment bytes as no partitions', () => {
    expect(decodeAssignment(new Uint8Array())).toEqual({ partitions: [] });
  });

  it('reads a newer version, ignoring fields it does not know', () => {
    const future = bytes('{"version":7,"topics":["t"],"rack":"r1","ownedPartitions":[],"generationId":-1}');
    expect(decodeSubscription(future)).toEqual({ topics: ['t'], ownedPartitions: [], generationId: -1 });
    expect(decodeSubscription(bytes('{"version":1,"topics":["t"]}'))).toEqual({ topics: ['t'], ownedPartitions: [], generationId: -1 });
  });

  it.each([
    ['not JSON', 'hello'],
    ['not an object', '[1,2]'],
    ['no version', '{"topics":[]}'],
    ['version 0', '{"version":0,"topics":[]}'],
    ['topics not a list', '{"version":1,"topics":"t"}'],
    ['empty topic name', '{"version":1,"topics":[""]}'],
    ['bad partition', '{"version":1,"topics":["t"],"ownedPartitions":[{"topic":"t","partitions":[-1]}]}'],
    ['fractional partition', '{"version":1,"topics":["t"],"ownedPartitions":[{"topic":"t","partitions":[1.5]}]}'],
    ['bad generation', '{"version":1,"topics":["t"],"generationId":-2}'],
  ])('rejects a subscription with %s as a typed, non-retriable error', (_what, text) => {
    const error = (() => {
      try {
        decodeSubscription(bytes(text));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(GroupProtocolError);
    expect(error).toMatchObject({ code: 'INCONSISTENT_GROUP_PROTOCOL', retriable: false });
  });

  it('rejects invalid UTF-8 and oversized bytes before parsing', () => {
    expect(() => decodeAssignment(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow(GroupProtocolError);
    expect(() => decodeAssignment(new Uint8Array(groupClientLimits.metadataBytesMax + 1))).toThrow(/above the limit/);
  });

  it('turns a JoinGroup member into assignor input', () => {
    const metadata = encodeSubscription({ topics: ['t'], ownedPartitions: [{ topic: 't', partition: 3 }], generationId: 2 });
    expect(toAssignorMember({ memberId: 'm', groupInstanceId: null, metadata })).toEqual({
      memberId: 'm',
      subscription: ['t'],
      ownedPartitions: [{ topic: 't', partition: 3 }],
      generationId: 2,
    });
    expect(toAssignorMember({ memberId: 'm', groupInstanceId: 'i', metadata })).toMatchObject({ groupInstanceId: 'i' });
  });
});
