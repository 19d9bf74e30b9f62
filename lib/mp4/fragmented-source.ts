/**
 * A fragmented MP4 (dropped in by an operator, or a recording never finalized) seen as a regular one: the
 * finalizer's scan collects the fragments' sample tables, and its moov builder writes them as a moov whose
 * chunk offsets point at the fragments' data in the source. The cutter then reads it like any other moov,
 * and the cut's timeline is the one finalizing the file would give.
 */
import type { FileHandle } from 'node:fs/promises';
import { childBoxes } from './boxes.js';
import { scanFragmentedMp4 } from './fragment-scan.js';
import { parseInitSegment } from './init-segment.js';
import { buildMoov } from './moov-builder.js';
import { computeTrackTimings } from './track-timing.js';
import type { SourceMoov } from './source-moov.js';

const U32_MAX = 0xffffffff;

export async function readFragmentedMoov(
  file: FileHandle,
  ftyp: Uint8Array | undefined,
): Promise<SourceMoov> {
  const scan = await scanFragmentedMp4(file);
  const tracks = scan.tracks.filter((track) => track.table.sampleCount > 0);
  if (tracks.length === 0) throw new Error('a fragmented MP4 without a complete fragment');
  const timings = computeTrackTimings(tracks, scan.init.movieTimescale);
  const moov = buildMoov(scan, tracks, timings, {
    useCo64: (await file.stat()).size > U32_MAX,
    chunkOffset: (run) => scan.runs[run]?.inputOffset ?? 0,
  });
  const moovBody = childBoxes(moov)[0]?.body ?? new Uint8Array(0);
  return { ftyp, moovBody, init: parseInitSegment(moovBody) };
}
