/**
 * Where each track starts and ends in the output presentation. The earliest track keeps its start (t=0);
 * a later track gets an empty edit for its lead-in, so audio and video stay aligned as they were recorded.
 */
import type { ScannedTrack } from './fragment-scan.js';

export const MOVIE_TIMESCALE = 1000;

export interface TrackTiming {
  /** Empty edit before the track's media, in movie units. */
  emptyEditDuration: number;
  /** Media edit: start in the output media timeline (media units) and length (movie units). */
  mediaTime: number;
  segmentDuration: number;
  /** Added to every composition offset so none is negative (ctts version 0, dts <= pts). */
  compositionShift: number;
  /** Track length in the presentation (movie units): lead-in + segment. */
  trackDuration: number;
  startS: number;
}

export function computeTrackTimings(tracks: ScannedTrack[], inputMovieTimescale: number): TrackTiming[] {
  const starts = tracks.map(({ init, table }) => {
    const visibleStart = Math.max(table.minPts, init.edit.mediaTime);
    return {
      visibleStart,
      startS:
        init.edit.emptyDuration / inputMovieTimescale + (visibleStart - init.edit.mediaTime) / init.timescale,
    };
  });
  const movieStartS = Math.min(...starts.map((start) => start.startS));
  return tracks.map(({ init, table }, i) => {
    const { visibleStart, startS } = starts[i] ?? { visibleStart: 0, startS: movieStartS };
    const compositionShift = Math.max(0, -table.minCompositionOffset);
    const emptyEditDuration = Math.round((startS - movieStartS) * MOVIE_TIMESCALE);
    const segmentDuration = Math.max(
      0,
      Math.round(((table.maxPtsEnd - visibleStart) / init.timescale) * MOVIE_TIMESCALE),
    );
    return {
      emptyEditDuration,
      mediaTime: visibleStart - table.firstDts + compositionShift,
      segmentDuration,
      compositionShift,
      trackDuration: emptyEditDuration + segmentDuration,
      startS: startS - movieStartS,
    };
  });
}
