import { describe, expect, it } from 'vitest';
import { parseAcks, parseProduceLine } from './produce-line.js';

describe('parseProduceLine', () => {
  it('takes the whole line as the value without a key separator', () => {
    expect(parseProduceLine('a:b', 1, undefined)).toEqual({ key: null, value: 'a:b' });
    expect(parseProduceLine('', 1, undefined)).toEqual({ key: null, value: '' });
  });

  it('splits at the first separator', () => {
    expect(parseProduceLine('k:v:w', 1, ':')).toEqual({ key: 'k', value: 'v:w' });
    expect(parseProduceLine(':v', 1, ':')).toEqual({ key: '', value: 'v' });
    expect(parseProduceLine('k:', 1, ':')).toEqual({ key: 'k', value: '' });
    expect(parseProduceLine('k=>v=>w', 1, '=>')).toEqual({ key: 'k', value: 'v=>w' });
    expect(parseProduceLine('k\tv', 1, '\t')).toEqual({ key: 'k', value: 'v' });
  });

  it('rejects a line without the separator, naming the line', () => {
    expect(() => parseProduceLine('no separator', 7, ':')).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST', message: 'no key separator ":" on line 7: "no separator"' }),
    );
    expect(() => parseProduceLine('x'.repeat(200), 1, ':')).toThrow(/"x{80}\.\.\."$/);
  });
});

describe('parseAcks', () => {
  it('accepts all, -1, 1 and 0', () => {
    expect(parseAcks(undefined)).toBe('all');
    expect(parseAcks('all')).toBe('all');
    expect(parseAcks('-1')).toBe('all');
    expect(parseAcks('1')).toBe(1);
    expect(parseAcks('0')).toBe(0);
    expect(() => parseAcks('2')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});
