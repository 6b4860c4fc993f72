/** An entry of a DeadlineHeap; `cancel` it through the heap that made it. */
export interface DeadlineEntry<T> {
  readonly deadlineMs: number;
  readonly value: T;
}

interface Slot<T> extends DeadlineEntry<T> {
  /** Insertion order: entries with equal deadlines pop in the order they were pushed. */
  readonly sequence: number;
  cancelled: boolean;
}

/**
 * A min-heap of deadlines with O(1) cancellation: cancelled entries stay in place until they
 * reach the top or until they outnumber the live ones (then the heap is rebuilt), so memory
 * stays proportional to the live entries. Pure: the caller supplies the time.
 */
export class DeadlineHeap<T> {
  private slots: Array<Slot<T>> = [];
  private live = 0;
  private sequence = 0;

  /** Live (not cancelled, not popped) entries. */
  get size(): number {
    return this.live;
  }

  push(deadlineMs: number, value: T): DeadlineEntry<T> {
    const slot: Slot<T> = { deadlineMs, value, sequence: this.sequence++, cancelled: false };
    this.slots.push(slot);
    this.siftUp(this.slots.length - 1);
    this.live++;
    return slot;
  }

  /** Removes an entry; returns false when it was already cancelled or popped. */
  cancel(entry: DeadlineEntry<T>): boolean {
    const slot = entry as Slot<T>;
    if (slot.cancelled) return false;
    slot.cancelled = true;
    this.live--;
    if (this.slots.length > 64 && this.slots.length > 2 * this.live) this.rebuild();
    return true;
  }

  /** The earliest live deadline, or undefined when the heap is empty. */
  nextDeadlineMs(): number | undefined {
    this.dropCancelledTop();
    return this.slots[0]?.deadlineMs;
  }

  /** Removes and returns the values whose deadline is at or before `nowMs`, earliest first. */
  popExpired(nowMs: number): T[] {
    const expired: T[] = [];
    for (;;) {
      this.dropCancelledTop();
      const top = this.slots[0];
      if (top === undefined || top.deadlineMs > nowMs) return expired;
      this.popTop();
      top.cancelled = true;
      this.live--;
      expired.push(top.value);
    }
  }

  /** Removes and returns every live value. */
  drain(): T[] {
    const values = this.slots.filter((slot) => !slot.cancelled).map((slot) => slot.value);
    for (const slot of this.slots) slot.cancelled = true;
    this.slots = [];
    this.live = 0;
    return values;
  }

  private dropCancelledTop(): void {
    while (this.slots[0]?.cancelled === true) this.popTop();
  }

  private popTop(): void {
    const last = this.slots.pop();
    if (last === undefined || this.slots.length === 0) return;
    this.slots[0] = last;
    this.siftDown(0);
  }

  private rebuild(): void {
    this.slots = this.slots.filter((slot) => !slot.cancelled);
    for (let i = (this.slots.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private less(a: number, b: number): boolean {
    const x = this.slots[a] as Slot<T>;
    const y = this.slots[b] as Slot<T>;
    return x.deadlineMs < y.deadlineMs || (x.deadlineMs === y.deadlineMs && x.sequence < y.sequence);
  }

  private swap(a: number, b: number): void {
    const x = this.slots[a] as Slot<T>;
    this.slots[a] = this.slots[b] as Slot<T>;
    this.slots[b] = x;
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    let i = index;
    const n = this.slots.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && this.less(left, smallest)) smallest = left;
      if (right < n && this.less(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }
}
