/**
 * Which samples of a track a cut copies. Times are the source track's media times (pts, media units,
 * whole numbers). Each search starts from a decode-time bound, found by binary search, and steps over a
 * few samples only: pts - dts lies between the track's least and greatest composition offset.
 */
import type { TrackSamples } from '../sample-tables.js';

/** Samples first..last (inclusive, decode order). */
export interface SampleRange {
  readonly first: number;
  readonly last: number;
}

/** Where the track's presentation ends: the latest pts + duration of any sample. */
export function mediaEnd(samples: TrackSamples): number {
  // The last sample ends at decodeEnd + minCompositionOffset or later; one decoded by that minus
  // maxCompositionOffset ends no later, so only the samples from there on are looked at.
  const bound = samples.decodeEnd + samples.minCompositionOffset - samples.maxCompositionOffset;
  let end = -Infinity;
  for (let i = Math.max(0, samples.lastDecodedAtOrBefore(bound)); i < samples.sampleCount; i++) {
    end = Math.max(end, samples.presentationTime(i) + samples.duration(i));
  }
  return end;
}

/** The last sample in decode order, from `from` on, presented before `end`; from - 1 if none is. */
function lastPresentedBefore(samples: TrackSamples, end: number, from: number): number {
  // Samples decoded at or after end - minCompositionOffset are presented at or after `end`.
  let i = samples.lastDecodedAtOrBefore(end - samples.minCompositionOffset - 1);
  while (i >= from && samples.presentationTime(i) >= end) i--;
  return Math.max(i, from - 1);
}

/**
 * Video: from the sync sample presented at or before `start` (the first sync sample when none is) to the
 * last sample, in decode order, presented before `end`. Samples in between presented at or after `end` are
 * kept, since earlier pictures may refer to them (B-frames); the cut's edit list hides them.
 */
export function keyframeRange(samples: TrackSamples, start: number, end: number): SampleRange | null {
  // A sample decoded after start - minCompositionOffset is presented after `start`.
  const bound = samples.lastDecodedAtOrBefore(start - samples.minCompositionOffset);
  let first = samples.lastSyncAtOrBefore(bound);
  while (first >= 0 && samples.presentationTime(first) > start) first = samples.lastSyncAtOrBefore(first - 1);
  if (first < 0) first = samples.firstSyncAtOrAfter(0);
  if (first >= samples.sampleCount) return null;
  const last = lastPresentedBefore(samples, end, first);
  return last < first ? null : { first, last };
}

/**
 * Audio (and timed text): the samples presented during [start, end), and `preroll` samples before them:
 * an AAC decoder's first frame is only right when it has decoded the frame before (overlapping
 * transforms); the edit list hides the extra one.
 */
export function overlapRange(
  samples: TrackSamples,
  start: number,
  end: number,
  preroll: number,
): SampleRange | null {
  // A sample decoded at or before start - maxCompositionOffset - its duration ends by `start`: begin at
  // the last one decoded by then (its successor may be the first to overlap).
  let first = Math.max(0, samples.lastDecodedAtOrBefore(start - samples.maxCompositionOffset));
  while (first < samples.sampleCount && samples.presentationTime(first) + samples.duration(first) <= start) {
    first++;
  }
  if (first >= samples.sampleCount) return null;
  const last = lastPresentedBefore(samples, end, first);
  return last < first ? null : { first: Math.max(0, first - preroll), last };
}
