/**
 * A position in a run-length sample table (stts, ctts, stsc) read in place, moved entry by entry in either
 * direction. A cut looks up samples near its start and its end, and those in between in order, so it
 * walks the entries up to its end at most a few times and never expands the table: an hour's tables would
 * be megabytes of fresh memory, and first touching memory is what costs most on a busy machine.
 */
export interface RunTableLayout {
  readonly view: DataView;
  /** Byte offset of the first entry in `view`, bytes per entry, entries. */
  readonly start: number;
  readonly entryBytes: number;
  readonly count: number;
  /**
   * stsc: an entry's samples are its chunks (up to the next entry's first chunk, or to chunk
   * `chunkCount`) times its samples per chunk. stts, ctts: undefined, an entry's first field counts them.
   */
  readonly chunkCount?: number;
  /** stts: an entry lasts count x delta (its second field) of decode time. */
  readonly timed?: boolean;
}

export class RunCursor {
  entry = 0;
  /** The first sample of `entry`. */
  firstSample = 0;
  /** stts: the decode time of firstSample. */
  startTime = 0;

  constructor(private readonly table: RunTableLayout) {}

  /** Moves to the entry holding `sample`; false when the table ends before it. */
  seek(sample: number): boolean {
    if (this.table.count === 0 || sample < 0) return false;
    if (sample < this.firstSample) this.walkBack(sample);
    else this.walkForward(sample);
    return sample >= this.firstSample && sample < this.firstSample + this.samplesIn(this.entry);
  }

  private samplesIn(entry: number): number {
    const { view, start, entryBytes, count, chunkCount } = this.table;
    const at = start + entry * entryBytes;
    if (chunkCount === undefined) return view.getUint32(at);
    const nextFirstChunk = entry + 1 < count ? view.getUint32(at + entryBytes) : chunkCount + 1;
    return Math.max(0, nextFirstChunk - view.getUint32(at)) * view.getUint32(at + 4);
  }

  /**
   * Forward to the entry holding `sample`, or to the last entry. The walks read the table inline, with no
   * call per entry: they cover tens of thousands of entries before V8 has optimised them.
   */
  private walkForward(sample: number): void {
    const { view, start, entryBytes, count, chunkCount, timed } = this.table;
    let { entry, firstSample, startTime } = this;
    for (let at = start + entry * entryBytes; entry + 1 < count; entry++, at += entryBytes) {
      const samples =
        chunkCount === undefined
          ? view.getUint32(at)
          : Math.max(0, view.getUint32(at + entryBytes) - view.getUint32(at)) * view.getUint32(at + 4);
      if (sample < firstSample + samples) break;
      firstSample += samples;
      if (timed === true) startTime += samples * view.getUint32(at + 4);
    }
    this.moveTo(entry, firstSample, startTime);
  }

  /** Back to the entry holding `sample`. */
  private walkBack(sample: number): void {
    const { view, start, entryBytes, chunkCount, timed } = this.table;
    let { entry, firstSample, startTime } = this;
    for (
      let at = start + (entry - 1) * entryBytes;
      sample < firstSample && entry > 0;
      entry--, at -= entryBytes
    ) {
      const samples =
        chunkCount === undefined
          ? view.getUint32(at)
          : Math.max(0, view.getUint32(at + entryBytes) - view.getUint32(at)) * view.getUint32(at + 4);
      firstSample -= samples;
      if (timed === true) startTime -= samples * view.getUint32(at + 4);
    }
    this.moveTo(entry, firstSample, startTime);
  }

  private moveTo(entry: number, firstSample: number, startTime: number): void {
    this.entry = entry;
    this.firstSample = firstSample;
    this.startTime = startTime;
  }

  /** stts: moves to the entry whose span holds `time` (the first or last entry for a time outside all). */
  seekTime(time: number): void {
    const { view, start, entryBytes, count } = this.table;
    let { entry, firstSample, startTime } = this;
    while (time < startTime && entry > 0) {
      entry--;
      const at = start + entry * entryBytes;
      firstSample -= view.getUint32(at);
      startTime -= view.getUint32(at) * view.getUint32(at + 4);
    }
    for (let at = start + entry * entryBytes; entry + 1 < count; at += entryBytes) {
      const span = view.getUint32(at) * view.getUint32(at + 4);
      if (time < startTime + span) break;
      firstSample += view.getUint32(at);
      startTime += span;
      entry++;
    }
    this.entry = entry;
    this.firstSample = firstSample;
    this.startTime = startTime;
  }
}

/** Binary search over `count` ascending values: the index of the last at or below `value`, -1 if none is. */
export function lastAtOrBelow(valueAt: (index: number) => number, count: number, value: number): number {
  let low = -1;
  let high = count - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (valueAt(middle) <= value) low = middle;
    else high = middle - 1;
  }
  return low;
}
