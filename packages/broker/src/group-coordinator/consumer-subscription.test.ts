import { describe, expect, it } from 'vitest';
import { mayConsume, subscribedTopics } from './consumer-subscription.js';

const bytes = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

describe('consumer subscriptions', () => {
  it('reads the topics of the consumer protocol, and nothing else', () => {
    expect(subscribedTopics('consumer', bytes({ version: 3, topics: ['a', 'b'], later: true }))).toEqual(['a', 'b']);
    expect(subscribedTopics('connect', bytes({ topics: ['a'] }))).toBeUndefined();
    expect(subscribedTopics('consumer', Buffer.from([0xff, 0x00]))).toBeUndefined();
    expect(subscribedTopics('consumer', bytes({ topics: [1] }))).toBeUndefined();
    expect(subscribedTopics('consumer', bytes(['a']))).toBeUndefined();
  });

  it('assumes a member it cannot read may consume anything', () => {
    expect(mayConsume('consumer', [bytes({ topics: ['a'] }), bytes({ topics: ['b'] })], 'b')).toBe(true);
    expect(mayConsume('consumer', [bytes({ topics: ['a'] })], 'b')).toBe(false);
    expect(mayConsume('consumer', [Buffer.from('?')], 'b')).toBe(true);
    expect(mayConsume('consumer', [], 'b')).toBe(false);
  });
});
