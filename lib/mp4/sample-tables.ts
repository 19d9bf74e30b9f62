/**
 * One track's sample tables (stbl of a regular MP4), read in place in the moov: a cut costs what the cut
 * holds, not what the recording holds. The run-length tables (stts, ctts, stsc) are walked by cursors,
 * stss is searched by bisection, stsz and stco/co64 are read for the samples cut only; `expand` puts the
 * samples cut into typed arrays. Nothing the size of an hour's tables is allocated, nor any object per
 * sample: first touching fresh memory is what costs most on a busy machine.
 */
import { findChild, requireChild } from './boxes.js';
import { lastAtOrBelow, RunCursor } from './run-cursor.js';
import { UnsupportedMp4Error } from './source-moov.js';

/** The entries of a full box's table: a uint32 count at `countAt`, then `count` entries of `entryBytes`. */
class Table {
  readonly view: DataView;
  readonly count: number;
  readonly start: number;

  /** Checks the count against the bytes there: a corrupt count must not send reads past the box. */
  constructor(
    body: Uint8Array,
    readonly entryBytes: number,
    box: string,
    countAt = 4,
  ) {
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    if (body.length < countAt + 4) throw new Error(`${box} is too short`);
    this.count = this.view.getUint32(countAt);
    this.start = countAt + 4;
    if (this.count * entryBytes > body.length - this.start)
      throw new Error(`${box} is shorter than its entry count`);
  }

  u32(entry: number, field = 0): number {
    return this.view.getUint32(this.start + entry * this.entryBytes + field);
  }

  i32(entry: number, field: number): number {
    return this.view.getInt32(this.start + entry * this.entryBytes + field);
  }
}

/** Samples first..last of a track, index 0 = first: what the cut's sample tables are built from. */
export interface RangeSamples {
  readonly durations: Uint32Array;
  readonly sizes: Uint32Array;
  readonly compositionOffsets: Int32Array;
  /** 1 for a sync sample. */
  readonly sync: Uint8Array;
}

/**
 * Fills `target` with the second field of the run-length table's entries for the samples from `first`
 * on, walking the entries once. An Int32Array target reads the field as signed (ctts version 1).
 */
function expandRuns(cursor: RunCursor, table: Table, first: number, target: Uint32Array | Int32Array): void {
  if (!cursor.seek(first)) return; // a table that ends early (ctts): the rest stays 0
  let entry = cursor.entry;
  let left = table.u32(entry) - (first - cursor.firstSample);
  for (let i = 0; i < target.length; i++, left--) {
    while (left === 0) {
      if (++entry >= table.count) return;
      left = table.u32(entry);
    }
    target[i] = table.u32(entry, 4);
  }
}

export class TrackSamples {
  readonly sampleCount: number;
  /** Bounds of pts - dts over the track (0 and 0 without ctts): they bound searches by presentation time. */
  readonly minCompositionOffset: number = 0;
  readonly maxCompositionOffset: number = 0;
  /** The end of the last sample's decode time: the sum of the durations. */
  readonly decodeEnd: number = 0;
  private readonly sizes: Table;
  private readonly uniformSize: number;
  private readonly chunkOffsets: Table;
  private readonly stts: Table;
  private readonly decode: RunCursor;
  private readonly ctts: Table | null;
  private readonly composition: RunCursor | null;
  private readonly stsc: Table;
  private readonly chunks: RunCursor;
  /** stss: 1-based numbers of the sync samples, ascending; null when every sample is one. */
  private readonly stss: Table | null;

  /** Reads the sample tables of `trakBody` (a regular MP4's trak, not a fragment's). */
  constructor(trakBody: Uint8Array) {
    const mdia = requireChild(trakBody, 'mdia', 'trak').body;
    const stbl = requireChild(requireChild(mdia, 'minf', 'mdia').body, 'stbl', 'minf').body;
    const descriptions = new Table(requireChild(stbl, 'stsd', 'stbl').body, 8, 'stsd').count;
    if (descriptions !== 1) throw new UnsupportedMp4Error(`${descriptions} sample descriptions in one track`);
    if (findChild(stbl, 'stz2')) throw new UnsupportedMp4Error('compact sample sizes (stz2)');
    const stsz = requireChild(stbl, 'stsz', 'stbl').body;
    this.uniformSize = stsz.length >= 8 ? new DataView(stsz.buffer, stsz.byteOffset).getUint32(4) : 0;
    // With one size for all, stsz lists no sizes: its count is not checked against entries.
    this.sizes = new Table(stsz, this.uniformSize === 0 ? 4 : 0, 'stsz', 8);
    this.sampleCount = this.sizes.count;
    const co64 = findChild(stbl, 'co64');
    this.chunkOffsets = co64
      ? new Table(co64.body, 8, 'co64')
      : new Table(requireChild(stbl, 'stco', 'stbl').body, 4, 'stco');

    const stts = (this.stts = new Table(requireChild(stbl, 'stts', 'stbl').body, 8, 'stts'));
    this.decode = new RunCursor({ ...stts, timed: true });
    let covered = 0;
    for (let e = 0, at = stts.start; e < stts.count && covered < this.sampleCount; e++, at += 8) {
      const count = Math.min(stts.view.getUint32(at), this.sampleCount - covered);
      this.decodeEnd += count * stts.view.getUint32(at + 4);
      covered += count;
    }
    if (covered < this.sampleCount) throw new Error(`stts covers ${covered} of ${this.sampleCount} samples`);

    const cttsBox = findChild(stbl, 'ctts');
    const ctts = (this.ctts = cttsBox ? new Table(cttsBox.body, 8, 'ctts') : null);
    this.composition = ctts ? new RunCursor(ctts) : null;
    // Version 0 offsets are unsigned, but read signed as ffmpeg does: writers put negative ones there too.
    for (let e = 0; ctts !== null && e < ctts.count; e++) {
      this.minCompositionOffset = Math.min(this.minCompositionOffset, ctts.i32(e, 4));
      this.maxCompositionOffset = Math.max(this.maxCompositionOffset, ctts.i32(e, 4));
    }

    const stsc = (this.stsc = new Table(requireChild(stbl, 'stsc', 'stbl').body, 12, 'stsc'));
    this.chunks = new RunCursor({ ...stsc, chunkCount: this.chunkOffsets.count });

    const stss = findChild(stbl, 'stss');
    this.stss = stss ? new Table(stss.body, 4, 'stss') : null;
  }

  /** Samples first..last in typed arrays, the run-length tables walked once rather than per sample. */
  expand(first: number, last: number): RangeSamples {
    const count = last - first + 1;
    const range = {
      durations: new Uint32Array(count),
      sizes: new Uint32Array(count),
      compositionOffsets: new Int32Array(count),
      sync: new Uint8Array(count),
    };
    expandRuns(this.decode, this.stts, first, range.durations);
    if (this.ctts !== null && this.composition !== null) {
      expandRuns(this.composition, this.ctts, first, range.compositionOffsets);
    }
    for (let i = 0; i < count; i++) range.sizes[i] = this.size(first + i);
    for (let s = this.firstSyncAtOrAfter(first); s <= last; s = this.firstSyncAtOrAfter(s + 1)) {
      range.sync[s - first] = 1;
    }
    return range;
  }

  size(sample: number): number {
    return this.uniformSize !== 0 ? this.uniformSize : this.sizes.u32(sample);
  }

  /** Decode time of `sample` (media units, from 0); of `sampleCount`, the end of the last sample. */
  decodeTime(sample: number): number {
    if (sample >= this.sampleCount || !this.decode.seek(sample)) return this.decodeEnd;
    return this.decode.startTime + (sample - this.decode.firstSample) * this.stts.u32(this.decode.entry, 4);
  }

  duration(sample: number): number {
    return this.decodeTime(sample + 1) - this.decodeTime(sample);
  }

  compositionOffset(sample: number): number {
    if (this.ctts === null || this.composition === null || !this.composition.seek(sample)) return 0;
    return this.ctts.i32(this.composition.entry, 4);
  }

  presentationTime(sample: number): number {
    return this.decodeTime(sample) + this.compositionOffset(sample);
  }

  /** The last sample decoded at or before `time`; -1 if none is. */
  lastDecodedAtOrBefore(time: number): number {
    if (time < 0 || this.sampleCount === 0) return -1;
    this.decode.seekTime(time);
    const { entry, firstSample, startTime } = this.decode;
    const inEntry = this.stts.u32(entry);
    const delta = this.stts.u32(entry, 4);
    const step = delta > 0 ? Math.floor((time - startTime) / delta) : inEntry - 1;
    // An entry of no samples at the end leaves firstSample - 1: the last sample before it.
    return Math.min(firstSample + Math.min(step, inEntry - 1), this.sampleCount - 1);
  }

  /** The last sync sample at or before `sample`; -1 if none is. */
  lastSyncAtOrBefore(sample: number): number {
    const { stss } = this;
    if (stss === null) return Math.min(sample, this.sampleCount - 1);
    const k = lastAtOrBelow((i) => stss.u32(i), stss.count, sample + 1);
    return k < 0 ? -1 : stss.u32(k) - 1;
  }

  /** The first sync sample at or after `sample`; sampleCount if none is. */
  firstSyncAtOrAfter(sample: number): number {
    const { stss } = this;
    if (stss === null) return Math.max(sample, 0);
    const k = lastAtOrBelow((i) => stss.u32(i), stss.count, sample) + 1;
    return k < stss.count ? stss.u32(k) - 1 : this.sampleCount;
  }

  /** The chunk holding `sample`: its file offset and the samples in it. */
  chunkOf(sample: number): { fileOffset: number; firstSample: number; sampleCount: number } {
    if (!this.chunks.seek(sample)) throw new Error(`sample ${sample} is in no chunk of stsc and stco`);
    const { entry, firstSample } = this.chunks;
    const perChunk = this.stsc.u32(entry, 4);
    const k = Math.floor((sample - firstSample) / perChunk);
    const chunk = this.stsc.u32(entry) - 1 + k;
    const offsets = this.chunkOffsets;
    const fileOffset =
      offsets.entryBytes === 8 ? offsets.u32(chunk) * 2 ** 32 + offsets.u32(chunk, 4) : offsets.u32(chunk);
    return { fileOffset, firstSample: firstSample + k * perChunk, sampleCount: perChunk };
  }
}
