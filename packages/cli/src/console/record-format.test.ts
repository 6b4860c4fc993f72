import { describe, expect, it } from 'vitest';
import { formatRecord } from './record-format.js';

function format(key: Buffer | null, value: Buffer | null, printKey: boolean): string {
  const out: Buffer[] = [];
  formatRecord({ key, value }, { printKey, keySeparator: '\t' }, out);
  return Buffer.concat(out).toString('utf8');
}

describe('formatRecord', () => {
  it('prints the value, or key<TAB>value with printKey, null for missing ones', () => {
    expect(format(Buffer.from('k'), Buffer.from('v'), false)).toBe('v\n');
    expect(format(Buffer.from('k'), Buffer.from('v'), true)).toBe('k\tv\n');
    expect(format(null, Buffer.from('v'), true)).toBe('null\tv\n');
    expect(format(Buffer.from('k'), null, true)).toBe('k\tnull\n');
    expect(format(null, Buffer.alloc(0), false)).toBe('\n');
  });

  it('writes bytes as they are', () => {
    const out: Buffer[] = [];
    formatRecord({ key: null, value: Buffer.from([0xff, 0x00]) }, { printKey: false, keySeparator: '\t' }, out);
    expect([...Buffer.concat(out)]).toEqual([0xff, 0x00, 0x0a]);
  });
});
