/**
 * An append-only array of unsigned 32-bit integers in a typed array: 4 bytes per entry, so a sample table
 * costs about what it will cost in the moov box, not a JS object per sample.
 */
export class GrowableU32 {
  private data: Uint32Array;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.data = new Uint32Array(initialCapacity);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  at(index: number): number {
    return this.data[index] ?? 0;
  }

  setAt(index: number, value: number): void {
    this.data[index] = value;
  }

  last(): number {
    return this.data[this.length - 1] ?? 0;
  }

  view(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

/** Run-length list of (count, value) pairs, as stts/ctts/stsc store them. */
export class RunLengthU32 {
  readonly counts = new GrowableU32(64);
  readonly values = new GrowableU32(64);

  add(value: number, count = 1): void {
    const last = this.counts.length - 1;
    if (last >= 0 && this.values.at(last) === value) {
      this.counts.setAt(last, this.counts.at(last) + count);
    } else {
      this.counts.push(count);
      this.values.push(value);
    }
  }

  get entryCount(): number {
    return this.counts.length;
  }
}
