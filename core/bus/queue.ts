/** A FIFO with O(1) push and shift; the backing array is compacted as the head advances. */
export class Deque<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined as T;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Keeps only the items matching `keep`, in order; returns how many were removed. */
  retain(keep: (item: T) => boolean): number {
    const kept = this.items.slice(this.head).filter(keep);
    const removed = this.length - kept.length;
    this.items = kept;
    this.head = 0;
    return removed;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
