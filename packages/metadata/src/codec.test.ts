import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EddyError } from '@eddy/base';
import { decodeMetadataRecord, encodeMetadataRecord } from './codec.js';
import type { MetadataRecord } from './records.js';

describe('metadata record codec', () => {
  const samples: MetadataRecord[] = [
    { type: 'ClusterId', clusterId: 'abc' },
    { type: 'RegisterBroker', brokerId: 1, incarnationId: 'i', brokerEpoch: 5, endpoint: { host: '127.0.0.1', port: 9092 }, rack: null },
    { type: 'PartitionChange', topicId: 't', partition: 0, isr: [1, 2] },
    { type: 'Config', resourceType: 'topic', resourceName: 'orders', name: 'retention.ms', value: null },
  ];

  it('round-trips records', () => {
    for (const record of samples) expect(decodeMetadataRecord(encodeMetadataRecord(record))).toEqual(record);
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['an unknown type', '{"type":"Nope"}'],
    ['a missing field', '{"type":"Topic","name":"x"}'],
    ['a wrongly typed field', '{"type":"Topic","name":"x","topicId":7}'],
    ['an unknown field', '{"type":"RemoveTopic","topicId":"t","extra":1}'],
    ['a bad endpoint', '{"type":"RegisterBroker","brokerId":1,"incarnationId":"i","brokerEpoch":1,"endpoint":{"host":"h","port":0},"rack":null}'],
    ['non-integer replicas', '{"type":"PartitionChange","topicId":"t","partition":0,"isr":[1.5]}'],
  ])('rejects %s with CORRUPT_RECORD', (_what, json) => {
    expect(() => decodeMetadataRecord(Buffer.from(json))).toThrow(EddyError);
    expect(() => decodeMetadataRecord(Buffer.from(json))).toThrow(/invalid metadata record/);
  });

  it('never throws anything but a typed error on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeMetadataRecord(bytes);
        } catch (error: unknown) {
          expect(error).toBeInstanceOf(EddyError);
        }
      }),
    );
  });
});
