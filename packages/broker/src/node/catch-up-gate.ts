/**
 * Opens once, for good, when the broker has registered (its epoch is the offset of its
 * registration record) and its metadata image has reached that offset. A restarted broker
 * replays the metadata it had before it died as soon as the quorum confirms it as committed,
 * before the newer entries arrive; acting on that image would let it lead partitions that moved
 * on while it was down (a zombie leader). KRaft brokers wait for this catch-up too.
 */
export class CatchUpGate {
  private opened = false;

  constructor(
    private readonly brokerEpoch: () => number,
    private readonly metadataOffset: () => number,
    private readonly onOpen: () => void,
  ) {}

  get isOpen(): boolean {
    return this.opened;
  }

  /** Call after a registration and after each metadata update. */
  check(): void {
    const epoch = this.brokerEpoch();
    if (this.opened || epoch < 0 || this.metadataOffset() < epoch) return;
    this.opened = true;
    this.onOpen();
  }
}
