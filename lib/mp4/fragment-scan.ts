/**
 * Scans a fragmented MP4 box by box (reading only box headers, the moov and the moofs) and builds the
 * sample tables of a regular MP4. Stops at the first fragment that is not complete on disk, so a file
 * cut short by a crash yields everything up to its last complete moof+mdat pair.
 */
import type { FileHandle } from 'node:fs/promises';
import { BodyReader, childBoxes, parseBoxHeader, readAt, type Box } from './boxes.js';
import { parseInitSegment, type InitSegment, type InitTrack } from './init-segment.js';
import { SampleTableBuilder } from './sample-table.js';

/** A contiguous byte range of sample data: one track run, which becomes one chunk of the output. */
export interface DataRun {
  trackIndex: number;
  inputOffset: number;
  byteLength: number;
}

export interface ScannedTrack {
  init: InitTrack;
  table: SampleTableBuilder;
}

export interface FragmentScan {
  init: InitSegment;
  tracks: ScannedTrack[];
  runs: DataRun[];
  fragmentCount: number;
  /** True when the scan stopped at an incomplete box (a recording cut short). */
  truncated: boolean;
}

const SAMPLE_IS_NON_SYNC = 0x10000;
const MAX_MOOV_OR_MOOF_BYTES = 64 * 2 ** 20;

export async function scanFragmentedMp4(file: FileHandle): Promise<FragmentScan> {
  const fileSize = (await file.stat()).size;
  let init: InitSegment | undefined;
  let tracks: ScannedTrack[] = [];
  const runs: DataRun[] = [];
  let fragmentCount = 0;
  let truncated = false;
  let position = 0;
  while (position < fileSize) {
    const header = parseBoxHeader(await readAt(file, position, 16), 0, position);
    const end = header ? position + header.size : Infinity;
    if (!header || header.size < header.headerSize || end > fileSize) {
      truncated = true;
      break;
    }
    if (header.type === 'moov' || header.type === 'moof') {
      if (header.size > MAX_MOOV_OR_MOOF_BYTES) throw new Error(`${header.type} at ${position} is too large`);
      const body = (await readAt(file, position, header.size)).subarray(header.headerSize);
      if (header.type === 'moov') {
        init = parseInitSegment(body);
        tracks = init.tracks.map((track) => ({ init: track, table: new SampleTableBuilder() }));
      } else {
        if (tracks.length === 0)
          throw new Error('moof before moov: not a fragmented MP4 this finalizer reads');
        const fragmentRuns = parseMoof(body, position, tracks);
        if (fragmentRuns.some((run) => run.inputOffset + run.byteLength > fileSize)) {
          truncated = true;
          break;
        }
        commitFragment(fragmentRuns, tracks, runs);
        fragmentCount++;
      }
    }
    position = end;
  }
  if (!init) throw new Error('no moov box: the recording holds no complete fragment');
  for (const track of tracks) track.table.finish();
  return { init, tracks, runs, fragmentCount, truncated };
}

interface ParsedRun extends DataRun {
  baseDts: number | null;
  samples: { duration: number; size: number; isSync: boolean; compositionOffset: number }[];
}

/** Parses one moof into its runs without touching the tables, so an incomplete fragment can be dropped. */
function parseMoof(moofBody: Uint8Array, moofStart: number, tracks: ScannedTrack[]): ParsedRun[] {
  const runs: ParsedRun[] = [];
  // A traf without a base offset continues where the previous traf's data ended (the first one: at the moof).
  let nextDataOffset = moofStart;
  for (const traf of childBoxes(moofBody).filter((box) => box.type === 'traf')) {
    for (const run of parseTraf(traf, moofStart, nextDataOffset, tracks)) {
      nextDataOffset = run.inputOffset + run.byteLength;
      if (run.samples.length > 0) runs.push(run);
    }
  }
  return runs;
}

function parseTraf(traf: Box, moofStart: number, implicitBase: number, tracks: ScannedTrack[]): ParsedRun[] {
  const children = childBoxes(traf.body);
  const tfhdBox = children.find((box) => box.type === 'tfhd');
  if (!tfhdBox) throw new Error('traf without tfhd');
  const tfhd = new BodyReader(tfhdBox.body);
  const { flags } = tfhd.versionAndFlags();
  const trackId = tfhd.u32();
  const trackIndex = tracks.findIndex((track) => track.init.trackId === trackId);
  const track = tracks[trackIndex];
  if (!track) throw new Error(`traf for unknown track ${trackId}`);
  const defaults = { ...track.init.defaults };
  let base = flags & 0x20000 ? moofStart : implicitBase;
  if (flags & 0x1) base = tfhd.u64();
  if (flags & 0x2) tfhd.u32(); // sample description index: Spool writes one per track
  if (flags & 0x8) defaults.duration = tfhd.u32();
  if (flags & 0x10) defaults.size = tfhd.u32();
  if (flags & 0x20) defaults.flags = tfhd.u32();

  let baseDts: number | null = null;
  const tfdt = children.find((box) => box.type === 'tfdt');
  if (tfdt) {
    const reader = new BodyReader(tfdt.body);
    baseDts = reader.versionAndFlags().version === 1 ? reader.u64() : reader.u32();
  }
  const runs: ParsedRun[] = [];
  let dataOffset = base;
  for (const trun of children.filter((box) => box.type === 'trun')) {
    const run = parseTrun(trun, base, dataOffset, defaults, trackIndex);
    run.baseDts = runs.length === 0 ? baseDts : null;
    runs.push(run);
    dataOffset = run.inputOffset + run.byteLength;
  }
  return runs;
}

function parseTrun(
  trun: Box,
  base: number,
  continueAt: number,
  defaults: InitTrack['defaults'],
  trackIndex: number,
): ParsedRun {
  const reader = new BodyReader(trun.body);
  const { version, flags } = reader.versionAndFlags();
  const sampleCount = reader.u32();
  const inputOffset = flags & 0x1 ? base + reader.i32() : continueAt;
  const firstSampleFlags = flags & 0x4 ? reader.u32() : null;
  const samples: ParsedRun['samples'] = [];
  let byteLength = 0;
  for (let i = 0; i < sampleCount; i++) {
    const duration = flags & 0x100 ? reader.u32() : defaults.duration;
    const size = flags & 0x200 ? reader.u32() : defaults.size;
    let sampleFlags = flags & 0x400 ? reader.u32() : defaults.flags;
    if (i === 0 && firstSampleFlags !== null) sampleFlags = firstSampleFlags;
    const compositionOffset = flags & 0x800 ? (version === 0 ? reader.u32() : reader.i32()) : 0;
    samples.push({ duration, size, isSync: (sampleFlags & SAMPLE_IS_NON_SYNC) === 0, compositionOffset });
    byteLength += size;
  }
  return { trackIndex, inputOffset, byteLength, baseDts: null, samples };
}

function commitFragment(fragmentRuns: ParsedRun[], tracks: ScannedTrack[], runs: DataRun[]): void {
  for (const run of fragmentRuns) {
    const table = tracks[run.trackIndex]?.table;
    if (!table) continue;
    table.beginRun(run.baseDts, runs.length, run.samples.length);
    for (const sample of run.samples) table.addSample(sample);
    runs.push({ trackIndex: run.trackIndex, inputOffset: run.inputOffset, byteLength: run.byteLength });
  }
}
