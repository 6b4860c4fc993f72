import { describe, expect, it } from 'vitest';
import { allowedImports, findCycles, findViolations } from './check-deps.js';

describe('dependency check', () => {
  it('finds a cycle and ignores an acyclic graph', () => {
    const cyclic = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
    ]);
    expect(findCycles(cyclic)).toEqual([['a', 'b', 'c', 'a']]);
    const acyclic = new Map([
      ['a', ['b', 'c']],
      ['b', ['c']],
      ['c', []],
    ]);
    expect(findCycles(acyclic)).toEqual([]);
  });

  it('keeps the diagram acyclic, so package-level cycles cannot exist', () => {
    const graph = new Map(Object.entries(allowedImports).map(([pkg, deps]) => [pkg, [...deps]]));
    expect(findCycles(graph)).toEqual([]);
  });

  it('reports no violation in the repository', () => {
    expect(findViolations()).toEqual([]);
  });
});
