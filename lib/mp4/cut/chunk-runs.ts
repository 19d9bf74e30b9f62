/** Where a track's samples first..last lie in the source file: one byte run per source chunk they occupy. */
import type { SampleRange } from './sample-range.js';
import type { TrackSamples } from '../sample-tables.js';

/** Runs in the track's decode order; a chunk's samples are contiguous, so each run is one byte range. */
export interface ChunkRuns {
  readonly count: number;
  readonly inputOffsets: Float64Array;
  readonly byteLengths: Float64Array;
  readonly sampleCounts: Uint32Array;
}

export function chunkRuns(samples: TrackSamples, range: SampleRange): ChunkRuns {
  // Each run holds at least one sample: the range's length bounds the count of runs.
  const capacity = range.last - range.first + 1;
  const runs = {
    count: 0,
    inputOffsets: new Float64Array(capacity),
    byteLengths: new Float64Array(capacity),
    sampleCounts: new Uint32Array(capacity),
  };
  for (let from = range.first; from <= range.last;) {
    const chunk = samples.chunkOf(from);
    const to = Math.min(chunk.firstSample + chunk.sampleCount - 1, range.last);
    let offset = chunk.fileOffset;
    for (let i = chunk.firstSample; i < from; i++) offset += samples.size(i);
    let length = 0;
    for (let i = from; i <= to; i++) length += samples.size(i);
    runs.inputOffsets[runs.count] = offset;
    runs.byteLengths[runs.count] = length;
    runs.sampleCounts[runs.count] = to - from + 1;
    runs.count++;
    from = to + 1;
  }
  return runs;
}
