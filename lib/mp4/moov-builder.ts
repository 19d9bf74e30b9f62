/** Builds the moov of a regular (non-fragmented) MP4 from the scanned sample tables. */
import { BodyReader, childBoxes, requireChild, type Box } from './boxes.js';
import { BoxBuilder } from './box-builder.js';
import type { FragmentScan, ScannedTrack } from './fragment-scan.js';
import { MOVIE_TIMESCALE, type TrackTiming } from './track-timing.js';

export interface MoovLayout {
  /** Output file offset of each run (= chunk), indexed like FragmentScan.runs. */
  chunkOffset: (runIndex: number) => number;
  useCo64: boolean;
}

const U32_MAX = 0xffffffff;
const UNITY_MATRIX = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000];

/** `scan` needs only its init segment (whose udta/meta are copied): the MP4 cutter passes a source moov's. */
export function buildMoov(
  scan: Pick<FragmentScan, 'init'>,
  tracks: ScannedTrack[],
  timings: TrackTiming[],
  layout: MoovLayout,
): Uint8Array {
  const out = new BoxBuilder();
  const movieDuration = Math.max(0, ...timings.map((timing) => timing.trackDuration));
  out.box('moov', () => {
    writeMvhd(out, movieDuration, Math.max(...tracks.map((track) => track.init.trackId)) + 1);
    tracks.forEach((track, i) => {
      const timing = timings[i];
      if (timing) writeTrak(out, track, timing, layout);
    });
    for (const box of scan.init.passthrough) copyBox(out, box);
  });
  return out.result();
}

function copyBox(out: BoxBuilder, box: Box): void {
  out.box(box.type, () => out.bytes(box.body));
}

function writeMvhd(out: BoxBuilder, duration: number, nextTrackId: number): void {
  const v1 = duration > U32_MAX;
  out.fullBox('mvhd', v1 ? 1 : 0, 0, () => {
    writeTimes(out, v1, 0, 0);
    out.u32(MOVIE_TIMESCALE);
    writeSized(out, v1, duration);
    out.u32(0x10000); // rate 1.0
    out.u16(0x100); // volume 1.0
    out.bytes(new Uint8Array(10));
    for (const value of UNITY_MATRIX) out.u32(value);
    out.bytes(new Uint8Array(24)); // pre_defined
    out.u32(nextTrackId);
  });
}

function writeTimes(out: BoxBuilder, v1: boolean, creation: number, modification: number): void {
  writeSized(out, v1, creation);
  writeSized(out, v1, modification);
}

function writeSized(out: BoxBuilder, v1: boolean, value: number): void {
  if (v1) out.u64(value);
  else out.u32(value);
}

function writeTrak(out: BoxBuilder, track: ScannedTrack, timing: TrackTiming, layout: MoovLayout): void {
  const trakChildren = childBoxes(track.init.trak.body);
  out.box('trak', () => {
    writeTkhd(out, requireChild(track.init.trak.body, 'tkhd', 'trak'), timing.trackDuration);
    writeEdts(out, timing);
    for (const box of trakChildren) {
      if (box.type === 'mdia') writeMdia(out, box, track, timing, layout);
      else if (box.type !== 'tkhd' && box.type !== 'edts') copyBox(out, box);
    }
  });
}

/** tkhd with the new duration; everything after the duration (layer, volume, matrix, size) is copied. */
function writeTkhd(out: BoxBuilder, tkhd: Box, duration: number): void {
  const reader = new BodyReader(tkhd.body);
  const { version, flags } = reader.versionAndFlags();
  const creation = version === 1 ? reader.u64() : reader.u32();
  const modification = version === 1 ? reader.u64() : reader.u32();
  const trackId = reader.u32();
  reader.u32(); // reserved
  reader.offset += version === 1 ? 8 : 4; // old duration
  const rest = reader.bytesAt(60);
  const v1 = duration > U32_MAX || creation > U32_MAX || modification > U32_MAX;
  out.fullBox('tkhd', v1 ? 1 : 0, flags | 0x3, () => {
    writeTimes(out, v1, creation, modification);
    out.u32(trackId);
    out.u32(0);
    writeSized(out, v1, duration);
    out.bytes(rest);
  });
}

function writeEdts(out: BoxBuilder, timing: TrackTiming): void {
  const v1 =
    timing.segmentDuration > U32_MAX || timing.emptyEditDuration > U32_MAX || timing.mediaTime > 0x7fffffff;
  const entries: [number, number][] = [];
  if (timing.emptyEditDuration > 0) entries.push([timing.emptyEditDuration, -1]);
  entries.push([timing.segmentDuration, timing.mediaTime]);
  out.box('edts', () => {
    out.fullBox('elst', v1 ? 1 : 0, 0, () => {
      out.u32(entries.length);
      for (const [segmentDuration, mediaTime] of entries) {
        writeSized(out, v1, segmentDuration);
        if (v1) out.i64(mediaTime);
        else out.i32(mediaTime);
        out.u32(0x10000); // rate 1.0
      }
    });
  });
}

function writeMdia(
  out: BoxBuilder,
  mdia: Box,
  track: ScannedTrack,
  timing: TrackTiming,
  layout: MoovLayout,
): void {
  out.box('mdia', () => {
    for (const box of childBoxes(mdia.body)) {
      if (box.type === 'mdhd') writeMdhd(out, box, track.table.mediaDuration);
      else if (box.type === 'minf') writeMinf(out, box, track, timing, layout);
      else copyBox(out, box);
    }
  });
}

function writeMdhd(out: BoxBuilder, mdhd: Box, duration: number): void {
  const reader = new BodyReader(mdhd.body);
  const { version } = reader.versionAndFlags();
  const creation = version === 1 ? reader.u64() : reader.u32();
  const modification = version === 1 ? reader.u64() : reader.u32();
  const timescale = reader.u32();
  reader.offset += version === 1 ? 8 : 4;
  const languageAndPredefined = reader.bytesAt(4);
  const v1 = duration > U32_MAX || creation > U32_MAX || modification > U32_MAX;
  out.fullBox('mdhd', v1 ? 1 : 0, 0, () => {
    writeTimes(out, v1, creation, modification);
    out.u32(timescale);
    writeSized(out, v1, duration);
    out.bytes(languageAndPredefined);
  });
}

function writeMinf(
  out: BoxBuilder,
  minf: Box,
  track: ScannedTrack,
  timing: TrackTiming,
  layout: MoovLayout,
): void {
  out.box('minf', () => {
    for (const box of childBoxes(minf.body)) {
      if (box.type === 'stbl') writeStbl(out, box, track, timing, layout);
      else copyBox(out, box);
    }
  });
}

function writeStbl(
  out: BoxBuilder,
  stbl: Box,
  track: ScannedTrack,
  timing: TrackTiming,
  layout: MoovLayout,
): void {
  const { table } = track;
  out.box('stbl', () => {
    copyBox(out, requireChild(stbl.body, 'stsd', 'stbl'));
    out.fullBox('stts', 0, 0, () => {
      out.u32(table.durations.entryCount);
      for (let i = 0; i < table.durations.entryCount; i++) {
        out.u32(table.durations.counts.at(i));
        out.u32(table.durations.values.at(i));
      }
    });
    if (table.hasNonZeroCompositionOffset) {
      out.fullBox('ctts', 0, 0, () => {
        out.u32(table.compositionOffsets.entryCount);
        for (let i = 0; i < table.compositionOffsets.entryCount; i++) {
          out.u32(table.compositionOffsets.counts.at(i));
          out.u32((table.compositionOffsets.values.at(i) | 0) + timing.compositionShift);
        }
      });
    }
    if (table.syncSamples.length < table.sampleCount) {
      out.fullBox('stss', 0, 0, () => {
        out.u32(table.syncSamples.length);
        out.u32Array(table.syncSamples.view());
      });
    }
    out.fullBox('stsz', 0, 0, () => {
      out.u32(0); // sizes follow per sample
      out.u32(table.sampleCount);
      out.u32Array(table.sizes.view());
    });
    writeStsc(out, track);
    writeChunkOffsets(out, track, layout);
  });
}

/** One entry per change of samples per chunk; counted first, then written, with no array per entry. */
function writeStsc(out: BoxBuilder, { table }: ScannedTrack): void {
  const perChunk = table.samplesPerChunk.view();
  let entryCount = 0;
  for (let chunk = 0; chunk < perChunk.length; chunk++) {
    if (chunk === 0 || perChunk[chunk] !== perChunk[chunk - 1]) entryCount++;
  }
  out.fullBox('stsc', 0, 0, () => {
    out.u32(entryCount);
    for (let chunk = 0; chunk < perChunk.length; chunk++) {
      if (chunk > 0 && perChunk[chunk] === perChunk[chunk - 1]) continue;
      out.u32(chunk + 1); // first chunk
      out.u32(perChunk[chunk] ?? 0);
      out.u32(1); // sample description index
    }
  });
}

function writeChunkOffsets(out: BoxBuilder, { table }: ScannedTrack, layout: MoovLayout): void {
  out.fullBox(layout.useCo64 ? 'co64' : 'stco', 0, 0, () => {
    out.u32(table.chunkOrder.length);
    for (let i = 0; i < table.chunkOrder.length; i++) {
      const offset = layout.chunkOffset(table.chunkOrder.at(i));
      if (layout.useCo64) out.u64(offset);
      else out.u32(offset);
    }
  });
}
