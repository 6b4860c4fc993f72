/**
 * Paces a load generator to a target rate, as Kafka's ThroughputThrottler does: after `sent`
 * records it says how long to wait so that the average since the start stays at or below
 * `recordsPerSecond`. A rate of -1 (or any value below 1) means no limit.
 */
export class ThroughputThrottle {
  constructor(
    private readonly recordsPerSecond: number,
    private readonly startedMs: number,
  ) {}

  /** Milliseconds to wait before sending record number `sent + 1`; 0 when on or behind schedule. */
  delayMs(sent: number, nowMs: number): number {
    if (this.recordsPerSecond < 1) return 0;
    const dueMs = this.startedMs + (sent * 1000) / this.recordsPerSecond;
    return Math.max(0, dueMs - nowMs);
  }
}
