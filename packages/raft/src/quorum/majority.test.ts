import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasQuorum, majorityValue, quorumSize, voteResult } from './majority.js';

describe('quorumSize', () => {
  it('is a strict majority', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(quorumSize)).toEqual([1, 2, 2, 3, 3, 4, 4]);
  });
});

describe('majorityValue', () => {
  it('is the highest index stored on a majority', () => {
    const match = new Map([
      [1, 10],
      [2, 7],
      [3, 3],
    ]);
    expect(majorityValue([1, 2, 3], (id) => match.get(id))).toBe(7);
    expect(majorityValue([1, 2, 3, 4], (id) => match.get(id))).toBe(3);
    expect(majorityValue([1], (id) => match.get(id))).toBe(10);
  });

  it('counts voters without a value as 0 and has no majority without voters', () => {
    expect(majorityValue([1, 2, 3], (id) => (id === 1 ? 5 : undefined))).toBe(0);
    expect(majorityValue([], () => 9)).toBe(0);
  });

  it('is reached by a majority and exceeded by none (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 100 }), { minLength: 1, maxLength: 9 }), (values) => {
        const voters = values.map((_, i) => i + 1);
        const result = majorityValue(voters, (id) => values[id - 1]);
        const atLeast = values.filter((v) => v >= result).length;
        const above = values.filter((v) => v > result).length;
        expect(atLeast).toBeGreaterThanOrEqual(quorumSize(voters.length));
        expect(above).toBeLessThan(quorumSize(voters.length));
      }),
    );
  });
});

describe('voteResult', () => {
  it('wins with a majority of grants, loses once a majority is out of reach', () => {
    expect(voteResult([1, 2, 3], new Map([[1, true]]))).toBe('pending');
    expect(
      voteResult(
        [1, 2, 3],
        new Map([
          [1, true],
          [2, true],
        ]),
      ),
    ).toBe('won');
    expect(
      voteResult(
        [1, 2, 3],
        new Map([
          [1, true],
          [2, false],
          [3, false],
        ]),
      ),
    ).toBe('lost');
    expect(
      voteResult(
        [1, 2, 3, 4],
        new Map([
          [1, true],
          [2, false],
        ]),
      ),
    ).toBe('pending');
  });

  it('ignores votes from nodes that are not voters', () => {
    const votes = new Map([
      [1, true],
      [4, true],
      [5, true],
    ]);
    expect(voteResult([1, 2, 3], votes)).toBe('pending');
  });

  it('wins alone in a single-voter cluster and never without voters', () => {
    expect(voteResult([7], new Map([[7, true]]))).toBe('won');
    expect(voteResult([], new Map())).toBe('lost');
  });
});

describe('hasQuorum', () => {
  it('needs a majority of the voters', () => {
    expect(hasQuorum([1, 2, 3], (id) => id !== 3)).toBe(true);
    expect(hasQuorum([1, 2, 3], (id) => id === 1)).toBe(false);
    expect(hasQuorum([], () => true)).toBe(false);
  });
});
