import { describe, expect, it } from 'vitest';
import { formatEndpoint, parseEndpoint, parseQuorumVoters } from './endpoint.js';

describe('endpoints', () => {
  it('parses host:port and bracketed IPv6', () => {
    expect(parseEndpoint('127.0.0.1:9092')).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(parseEndpoint('[::1]:9093')).toEqual({ host: '::1', port: 9093 });
    expect(formatEndpoint({ host: '::1', port: 9093 })).toBe('[::1]:9093');
  });

  it.each(['', 'localhost', ':9092', 'h:0', 'h:70000', 'h:x', '::1:9092'])('rejects %j with INVALID_CONFIG', (text) => {
    expect(() => parseEndpoint(text)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  it('parses the controller quorum', () => {
    const voters = parseQuorumVoters('1@127.0.0.1:9092, 2@127.0.0.1:9093,3@localhost:9094');
    expect([...voters.keys()]).toEqual([1, 2, 3]);
    expect(voters.get(3)).toEqual({ host: 'localhost', port: 9094 });
  });

  it.each(['', '1@h:1,1@h:2', 'x@h:1', '@h:1', '1h:1'])('rejects the quorum %j', (text) => {
    expect(() => parseQuorumVoters(text)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
