/**
 * Time, injected. Protocol logic asks a Clock instead of calling Date.now() or setTimeout, so a
 * simulator can drive it deterministically.
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin; never goes backwards. */
  monotonicMs(): number;
  /** Wall-clock milliseconds since the Unix epoch (record timestamps, retention). */
  wallMs(): number;
}

export const systemClock: Clock = {
  monotonicMs: () => performance.now(),
  wallMs: () => Date.now(),
};

/** A clock that only moves when told to: for tests and simulation. */
export class ManualClock implements Clock {
  constructor(
    private nowMs = 0,
    private readonly wallOriginMs = 1_700_000_000_000,
  ) {}

  monotonicMs(): number {
    return this.nowMs;
  }

  wallMs(): number {
    return this.wallOriginMs + this.nowMs;
  }

  advance(ms: number): void {
    if (ms < 0) throw new RangeError(`a clock cannot go back (${ms} ms)`);
    this.nowMs += ms;
  }
}
