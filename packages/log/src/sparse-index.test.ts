import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findLastAtMost,
  IndexPlanner,
  isMonotonic,
  offsetIndexFormat,
  timeIndexFormat,
  writeOffsetEntry,
  writeTimeEntry,
} from './sparse-index.js';

function offsetEntries(pairs: ReadonlyArray<readonly [number, number]>): Buffer {
  const buf = Buffer.alloc(pairs.length * 8);
  pairs.forEach(([relativeOffset, position], i) => writeOffsetEntry(buf, i * 8, relativeOffset, position));
  return buf;
}

describe('sparse index entries', () => {
  it('round-trips offset and time entries, timestamps beyond 32 bits included', () => {
    const time = Buffer.alloc(12);
    writeTimeEntry(time, 0, 1_700_000_000_123, 42);
    expect(timeIndexFormat.keys.timestamp(time, 0)).toBe(1_700_000_000_123);
    expect(timeIndexFormat.keys.relativeOffset(time, 0)).toBe(42);
    writeTimeEntry(time, 0, -1, 0);
    expect(timeIndexFormat.keys.timestamp(time, 0)).toBe(-1);
    const offset = offsetEntries([[7, 4096]]);
    expect([offsetIndexFormat.keys.relativeOffset(offset, 0), offsetIndexFormat.keys.position(offset, 0)]).toEqual([7, 4096]);
  });

  it('finds the last entry at most the target, like a linear scan', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { maxLength: 200 }), fc.integer({ min: -5, max: 1100 }), (keys, target) => {
        const sorted = [...keys].sort((a, b) => a - b);
        const entries = offsetEntries(sorted.map((key, i) => [key, i]));
        let expected = -1;
        sorted.forEach((key, i) => {
          if (key <= target) expected = i;
        });
        expect(findLastAtMost(entries, sorted.length, 8, offsetIndexFormat.keys.relativeOffset, target)).toBe(expected);
      }),
    );
  });

  it('detects keys that go back', () => {
    expect(isMonotonic(offsetEntries([[1, 10], [2, 20], [2, 30]]), 3, offsetIndexFormat)).toBe(true);
    expect(isMonotonic(offsetEntries([[1, 10], [3, 5]]), 2, offsetIndexFormat)).toBe(false);
    expect(isMonotonic(offsetEntries([[1, 10]]), 1, offsetIndexFormat, offsetEntries([[2, 0]]))).toBe(false);
  });
});

describe('IndexPlanner', () => {
  it('indexes a batch after every interval of bytes, and time entries only when the max grows', () => {
    const planner = new IndexPlanner(100);
    const place = (position: number, size: number, offset: number, maxTimestamp: number) =>
      planner.place({ position, size, relativeBaseOffset: offset, relativeLastOffset: offset, maxTimestamp });
    expect(place(0, 60, 0, 1000)).toEqual({ offsetEntry: undefined, timeEntry: undefined });
    expect(place(60, 60, 1, 900)).toEqual({ offsetEntry: undefined, timeEntry: undefined });
    expect(place(120, 60, 2, 950)).toEqual({ offsetEntry: { relativeOffset: 2, position: 120 }, timeEntry: { timestamp: 1000, relativeOffset: 2 } });
    place(180, 60, 3, 990);
    expect(place(240, 60, 4, 999)).toEqual({ offsetEntry: { relativeOffset: 4, position: 240 }, timeEntry: undefined });
    place(300, 10, 5, 1200);
    expect(planner.finish()).toEqual({ timestamp: 1200, relativeOffset: 5 });
    expect(planner.finish()).toBeUndefined();
    expect(planner.state).toEqual({ bytesSinceLastEntry: 70, maxTimestamp: 1200, lastTimeEntryTimestamp: 1200, relativeLastOffset: 5 });
  });
});
