import { GrowableU32, RunLengthU32 } from './growable.js';

export interface FragmentSample {
  duration: number;
  size: number;
  isSync: boolean;
  /** Composition offset (pts - dts), may be negative (trun version 1). */
  compositionOffset: number;
}

/**
 * Collects one track's samples from its track runs, already in the compact forms the moov needs
 * (stts/ctts run lengths, stsz sizes, stss sync numbers, stsc samples per chunk), plus the timing facts
 * needed for the edit list.
 */
export class SampleTableBuilder {
  readonly sizes = new GrowableU32(4096);
  readonly durations = new RunLengthU32();
  /** Stored as uint32 two's complement; read back with `| 0`. */
  readonly compositionOffsets = new RunLengthU32();
  readonly syncSamples = new GrowableU32(256);
  /** Samples per chunk: one chunk per track run. */
  readonly samplesPerChunk = new GrowableU32(256);
  /** Output chunk index (in file order over all tracks) of each of this track's chunks. */
  readonly chunkOrder = new GrowableU32(256);

  sampleCount = 0;
  firstDts = 0;
  /** Decode time of the next sample if none is missing: sum of durations so far. */
  nextDts = 0;
  minPts = Infinity;
  maxPtsEnd = -Infinity;
  minCompositionOffset = 0;
  hasNonZeroCompositionOffset = false;
  private pendingDuration: number | null = null;

  /**
   * Starts a track run. `baseDts` is the tfdt time when the fragment has one. A gap or overlap against the
   * running total is absorbed by the previous sample's duration, because a regular MP4's decode times are
   * the running sum of durations.
   */
  beginRun(baseDts: number | null, chunkIndex: number, sampleCount: number): void {
    if (this.sampleCount === 0) {
      this.firstDts = baseDts ?? 0;
      this.nextDts = this.firstDts;
    } else if (baseDts !== null && baseDts !== this.nextDts && this.pendingDuration !== null) {
      const lastDts = this.nextDts - this.pendingDuration;
      if (baseDts > lastDts) {
        this.pendingDuration = baseDts - lastDts;
        this.nextDts = baseDts;
      }
    }
    this.samplesPerChunk.push(sampleCount);
    this.chunkOrder.push(chunkIndex);
  }

  addSample(sample: FragmentSample): void {
    if (this.pendingDuration !== null) this.durations.add(this.pendingDuration);
    const dts = this.nextDts;
    const pts = dts + sample.compositionOffset;
    this.sampleCount++;
    this.sizes.push(sample.size);
    if (sample.isSync) this.syncSamples.push(this.sampleCount);
    this.compositionOffsets.add(sample.compositionOffset >>> 0);
    if (sample.compositionOffset !== 0) this.hasNonZeroCompositionOffset = true;
    this.minCompositionOffset = Math.min(this.minCompositionOffset, sample.compositionOffset);
    this.minPts = Math.min(this.minPts, pts);
    this.maxPtsEnd = Math.max(this.maxPtsEnd, pts + sample.duration);
    this.pendingDuration = sample.duration;
    this.nextDts = dts + sample.duration;
  }

  /** Commits the last sample's duration; call once after the last run. */
  finish(): void {
    if (this.pendingDuration !== null) this.durations.add(this.pendingDuration);
    this.pendingDuration = null;
  }

  /** Sum of sample durations (the mdhd duration). */
  get mediaDuration(): number {
    return this.nextDts - this.firstDts;
  }
}
