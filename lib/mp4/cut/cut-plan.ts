/**
 * Plans a cut [startS, endS) of a regular MP4: which samples of each track are copied, the new sample
 * tables (in the writer's SampleTableBuilder, ready for its moov builder), each track's edit list, and
 * the source byte runs to copy in output order. Times in seconds are the source's presentation timeline.
 */
import type { ScannedTrack } from '../fragment-scan.js';
import type { InitTrack } from '../init-segment.js';
import { SampleTableBuilder } from '../sample-table.js';
import { MOVIE_TIMESCALE, type TrackTiming } from '../track-timing.js';
import { chunkRuns, type ChunkRuns } from './chunk-runs.js';
import { keyframeRange, mediaEnd, overlapRange, type SampleRange } from './sample-range.js';
import type { RangeSamples, TrackSamples } from '../sample-tables.js';

export interface SourceTrack {
  readonly init: InitTrack;
  readonly samples: TrackSamples;
}

/** Byte runs of the source, in the order they are written to the cut's mdat. */
export interface CopyRuns {
  readonly count: number;
  readonly inputOffsets: Float64Array;
  readonly byteLengths: Float64Array;
}

export interface CutPlan {
  /** The cut's tracks: the source trak (its boxes are copied) with the new sample table. */
  readonly tracks: ScannedTrack[];
  readonly timings: TrackTiming[];
  readonly runs: CopyRuns;
  readonly dataBytes: number;
  /** Where the copied media starts in the source: the keyframe at or before startS (video, else audio). */
  readonly copiedFromS: number;
  /** Tracks left out, with the reason. */
  readonly discarded: string[];
}

/** Timed tracks cut by overlap (video is cut from a keyframe). */
const OVERLAP_HANDLERS = new Set(['soun', 'text', 'sbtl', 'subt', 'clcp']);
/** Samples kept before the first audio sample presented: AAC decodes a frame right only after its predecessor. */
const AUDIO_PREROLL_SAMPLES = 1;

interface TrackCut {
  readonly source: SourceTrack;
  readonly range: SampleRange;
  readonly runs: ChunkRuns;
  /** Media time (source track units) shown at the cut's start, or at the track's own start if later. */
  readonly startMedia: number;
  readonly endMedia: number;
  /** Seconds from the cut's start to the track's own start (an empty edit in the source). */
  readonly leadS: number;
}

function emptyEditS(track: SourceTrack, movieTimescale: number): number {
  return track.init.edit.emptyDuration / movieTimescale;
}

/** Video and the timed tracks cut by overlap; anything else (hint, tmcd …) is left out of a cut. */
export function isCutHandler(handler: string): boolean {
  return handler === 'vide' || OVERLAP_HANDLERS.has(handler);
}

/** Where the source's presentation ends: its longest track's end, its own edit list applied. */
export function sourceDurationS(tracks: readonly SourceTrack[], movieTimescale: number): number {
  let durationS = 0;
  for (const track of tracks.filter((t) => t.samples.sampleCount > 0)) {
    const mediaS = (mediaEnd(track.samples) - track.init.edit.mediaTime) / track.init.timescale;
    durationS = Math.max(durationS, emptyEditS(track, movieTimescale) + mediaS);
  }
  return durationS;
}

/** The samples of `track` (video, or one cut by overlap) for the cut, or why it is left out. */
function placeTrack(
  track: SourceTrack,
  startS: number,
  endS: number,
  movieTimescale: number,
): TrackCut | string {
  const { handler, timescale, edit } = track.init;
  if (track.samples.sampleCount === 0) return 'no samples';
  const emptyS = emptyEditS(track, movieTimescale);
  if (endS <= emptyS) return 'it starts after the cut ends';
  const fromS = Math.max(startS, emptyS);
  const startMedia = edit.mediaTime + Math.round((fromS - emptyS) * timescale);
  const endMedia = edit.mediaTime + Math.round((endS - emptyS) * timescale);
  const range =
    handler === 'vide'
      ? keyframeRange(track.samples, startMedia, endMedia)
      : overlapRange(track.samples, startMedia, endMedia, handler === 'soun' ? AUDIO_PREROLL_SAMPLES : 0);
  if (range === null) return 'no samples in the range';
  return {
    source: track,
    range,
    runs: chunkRuns(track.samples, range),
    startMedia,
    endMedia,
    leadS: fromS - startS,
  };
}

/** A track's progress through its runs while they are merged. */
interface MergeState {
  readonly cut: TrackCut;
  readonly samples: RangeSamples;
  readonly table: SampleTableBuilder;
  nextRun: number;
  /** Index in `samples` of the next run's first sample. */
  nextSample: number;
}

/** The track whose next run comes first in the source; undefined when all runs are merged. */
function earliestRun(states: readonly MergeState[]): MergeState | undefined {
  let earliest: MergeState | undefined;
  for (const state of states) {
    if (state.nextRun >= state.cut.runs.count) continue;
    const offset = state.cut.runs.inputOffsets[state.nextRun] ?? 0;
    if (earliest === undefined || offset < (earliest.cut.runs.inputOffsets[earliest.nextRun] ?? 0)) {
      earliest = state;
    }
  }
  return earliest;
}

/** Adds the samples of the track's next run to its table, as the cut's chunk `chunk`. */
function appendRun(state: MergeState, chunk: number): void {
  const { durations, sizes, sync, compositionOffsets } = state.samples;
  const sampleCount = state.cut.runs.sampleCounts[state.nextRun++] ?? 0;
  state.table.beginRun(null, chunk, sampleCount);
  for (const end = state.nextSample + sampleCount; state.nextSample < end; state.nextSample++) {
    const i = state.nextSample;
    state.table.addSample({
      duration: durations[i] ?? 0,
      size: sizes[i] ?? 0,
      isSync: sync[i] === 1,
      compositionOffset: compositionOffsets[i] ?? 0,
    });
  }
}

/**
 * Merges the tracks' runs by source offset, so the copy reads the source front to back, and fills each
 * track's new sample table run by run (a run becomes one chunk of the cut).
 */
function interleave(cuts: readonly TrackCut[]): { tables: SampleTableBuilder[]; runs: CopyRuns } {
  const states: MergeState[] = cuts.map((cut) => ({
    cut,
    samples: cut.source.samples.expand(cut.range.first, cut.range.last),
    table: new SampleTableBuilder(),
    nextRun: 0,
    nextSample: 0,
  }));
  const count = cuts.reduce((sum, cut) => sum + cut.runs.count, 0);
  const runs = { count, inputOffsets: new Float64Array(count), byteLengths: new Float64Array(count) };
  for (let k = 0, state = earliestRun(states); state !== undefined; k++, state = earliestRun(states)) {
    runs.inputOffsets[k] = state.cut.runs.inputOffsets[state.nextRun] ?? 0;
    runs.byteLengths[k] = state.cut.runs.byteLengths[state.nextRun] ?? 0;
    appendRun(state, k);
  }
  for (const { table } of states) table.finish();
  return { tables: states.map((state) => state.table), runs };
}

/**
 * The edit list that shows the track from the cut's start: media_time = the media time at startS minus
 * where the copy starts, plus the shift that keeps composition offsets non-negative; the source's own
 * offset (B-frame delay, AAC priming) is in startMedia already.
 */
function timing(cut: TrackCut, table: SampleTableBuilder): TrackTiming {
  const { timescale } = cut.source.init;
  const base = cut.source.samples.decodeTime(cut.range.first);
  const compositionShift = Math.max(0, -table.minCompositionOffset);
  // A track whose first sample is presented after the cut's start (no keyframe before it) starts late.
  const visible = Math.max(cut.startMedia, base + table.minPts);
  const end = Math.min(cut.endMedia, base + table.maxPtsEnd);
  const emptyEditDuration = Math.round(
    (cut.leadS + (visible - cut.startMedia) / timescale) * MOVIE_TIMESCALE,
  );
  const segmentDuration = Math.max(0, Math.round(((end - visible) / timescale) * MOVIE_TIMESCALE));
  return {
    emptyEditDuration,
    mediaTime: visible - base + compositionShift,
    segmentDuration,
    compositionShift,
    trackDuration: emptyEditDuration + segmentDuration,
    startS: emptyEditDuration / MOVIE_TIMESCALE,
  };
}

/** Where the copy of `cut` starts in the source's presentation. */
function copiedFromS(cut: TrackCut, table: SampleTableBuilder, movieTimescale: number): number {
  const { edit, timescale } = cut.source.init;
  const firstPts = cut.source.samples.decodeTime(cut.range.first) + table.minPts;
  return Math.max(0, emptyEditS(cut.source, movieTimescale) + (firstPts - edit.mediaTime) / timescale);
}

/** The plan of the cut [startS, endS) of `tracks` (those isCutHandler accepts). */
export function planCut(
  tracks: readonly SourceTrack[],
  movieTimescale: number,
  startS: number,
  endS: number,
): CutPlan {
  const cuts: TrackCut[] = [];
  const discarded: string[] = [];
  for (const track of tracks) {
    const placed = placeTrack(track, startS, endS, movieTimescale);
    if (typeof placed === 'string') {
      discarded.push(`${track.init.handler} track ${track.init.trackId}: ${placed}`);
    } else {
      cuts.push(placed);
    }
  }
  if (cuts.length === 0) throw new Error(`nothing in the file can be cut: ${discarded.join('; ')}`);
  const { tables, runs } = interleave(cuts);
  const starts = cuts.map((cut, i) => copiedFromS(cut, tables[i]!, movieTimescale));
  const videoStarts = starts.filter((_, i) => cuts[i]!.source.init.handler === 'vide');
  return {
    tracks: cuts.map((cut, i) => ({ init: cut.source.init, table: tables[i]! })),
    timings: cuts.map((cut, i) => timing(cut, tables[i]!)),
    runs,
    dataBytes: runs.byteLengths.reduce((sum, length) => sum + length, 0),
    copiedFromS: Math.min(...(videoStarts.length > 0 ? videoStarts : starts)),
    discarded,
  };
}
