/**
 * A first-in first-out queue whose take is O(1): an array read from a moving head. Array#shift
 * copies the whole array each time, which for a queue of ten thousand (a reconnect flood's
 * handshakes, a burst of agent frames waiting for CPU) is quadratic. The consumed front is
 * dropped once it is over 1,024 entries and half the array, or at once when the queue empties;
 * a taken entry is cleared, so the queue keeps nothing it has handed out alive.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest entry, removed; undefined when empty. */
  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }
}
