import { describe, expect, it } from 'vitest';
import { Inflights } from './inflights.js';

describe('Inflights', () => {
  it('fills up by count and frees acknowledged appends in order', () => {
    const inflights = new Inflights(3, 1000);
    inflights.add(5, 10);
    inflights.add(8, 10);
    inflights.add(9, 10);
    expect(inflights.isFull()).toBe(true);
    inflights.freeUpTo(8);
    expect(inflights.count).toBe(1);
    expect(inflights.bytes).toBe(10);
    expect(inflights.isFull()).toBe(false);
  });

  it('fills up by bytes, always letting one append through', () => {
    const inflights = new Inflights(10, 100);
    inflights.add(1, 250);
    expect(inflights.isFull()).toBe(true);
    inflights.freeUpTo(1);
    expect(inflights.isFull()).toBe(false);
    expect(inflights.bytes).toBe(0);
  });

  it('frees the oldest append when its acknowledgement may be lost', () => {
    const inflights = new Inflights(2, 1000);
    inflights.add(3, 1);
    inflights.add(6, 1);
    inflights.freeFirst();
    expect(inflights.count).toBe(1);
    inflights.freeFirst();
    inflights.freeFirst();
    expect(inflights.count).toBe(0);
  });

  it('refuses appends beyond the window or out of order', () => {
    const inflights = new Inflights(1, 1000);
    inflights.add(3, 1);
    expect(() => inflights.add(4, 1)).toThrow(/full/);
    inflights.reset();
    inflights.add(3, 1);
    inflights.freeUpTo(2);
    const wide = new Inflights(5, 1000);
    wide.add(5, 1);
    expect(() => wide.add(4, 1)).toThrow(/ascend/);
  });

  it('keeps working across many sends and acknowledgements', () => {
    const inflights = new Inflights(4, 1 << 20);
    let sent = 0;
    let acked = 0;
    for (let round = 0; round < 1000; round++) {
      while (!inflights.isFull()) inflights.add(++sent, 1);
      acked += 3;
      inflights.freeUpTo(acked);
      expect(inflights.count).toBe(Math.max(0, sent - acked));
    }
  });
});
