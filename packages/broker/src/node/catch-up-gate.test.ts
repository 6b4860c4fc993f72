import { describe, expect, it } from 'vitest';
import { CatchUpGate } from './catch-up-gate.js';

describe('CatchUpGate', () => {
  it('opens once the broker has registered and its metadata reached the registration, and only once', () => {
    let epoch = -1;
    let offset = 40;
    let opened = 0;
    const gate = new CatchUpGate(
      () => epoch,
      () => offset,
      () => opened++,
    );
    // Replayed metadata before any registration: a restarted broker must not act on it.
    gate.check();
    expect(gate.isOpen).toBe(false);
    epoch = 57;
    gate.check();
    expect(opened).toBe(0);
    offset = 56;
    gate.check();
    expect(opened).toBe(0);
    offset = 57;
    gate.check();
    expect(gate.isOpen).toBe(true);
    // A later re-registration does not close it or open it again.
    epoch = -1;
    gate.check();
    epoch = 90;
    gate.check();
    expect(opened).toBe(1);
  });
});
