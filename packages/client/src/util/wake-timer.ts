/**
 * One timer that wakes its owner at the earliest time anyone asked for: asking for a later time
 * while an earlier wake is armed changes nothing. Once stopped it never fires again.
 */
export class WakeTimer {
  private timer: NodeJS.Timeout | undefined;
  private atMs = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly nowMs: () => number,
    private readonly onWake: () => void,
  ) {}

  arm(atMs: number): void {
    if (this.stopped || atMs >= this.atMs) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.atMs = atMs;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.atMs = Number.POSITIVE_INFINITY;
        this.onWake();
      },
      Math.max(0, Math.ceil(atMs - this.nowMs())),
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
