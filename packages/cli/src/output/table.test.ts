import { describe, expect, it } from 'vitest';
import { formatJson, formatTable } from './table.js';

describe('formatTable', () => {
  it('aligns columns and prints missing cells as -', () => {
    const text = formatTable(['GROUP', 'PARTITION', 'LAG'], [
      ['billing', 0, 12n],
      ['billing-long-name', 10, undefined],
    ]);
    expect(text).toBe(['GROUP              PARTITION  LAG', 'billing            0          12', 'billing-long-name  10         -', ''].join('\n'));
  });

  it('prints only the header for no rows', () => {
    expect(formatTable(['ID', 'HOST'], [])).toBe('ID  HOST\n');
  });
});

describe('formatJson', () => {
  it('prints bigints as numbers when safe and as strings when not', () => {
    expect(JSON.parse(formatJson({ a: 5n, b: 2n ** 60n }))).toEqual({ a: 5, b: '1152921504606846976' });
  });
});
