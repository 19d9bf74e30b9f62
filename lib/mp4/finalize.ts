/**
 * Turns a fragmented MP4 recording (complete, or cut short by a crash) into a regular MP4:
 * ftyp, moov, [free], mdat (moov first) or ftyp, mdat, moov. Memory is bounded by the sample tables
 * (about 4-12 bytes per sample, i.e. the size of the output moov), never by the media data, which is
 * streamed through a fixed-size buffer.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import { BoxBuilder, boxHeader } from './box-builder.js';
import { scanFragmentedMp4, type DataRun, type FragmentScan } from './fragment-scan.js';
import { buildMoov } from './moov-builder.js';
import { computeTrackTimings, MOVIE_TIMESCALE } from './track-timing.js';

export interface FinalizeOptions {
  /** true: ftyp, moov, [free], mdat (progressive download). false: ftyp, mdat, moov. */
  moovFirst: boolean;
  /**
   * moovFirst only: bytes reserved after ftyp for moov + free (mp4_container_moov_reserved_space_size x 1024).
   * The moov goes at its start and a free box fills the rest; a moov larger than the reserve is written whole.
   */
  reserveBytes?: number;
  /** Size of the copy buffer. Default 4 MiB. */
  copyBufferBytes?: number;
}

export interface FinalizedTrack {
  trackId: number;
  kind: 'video' | 'audio' | 'other';
  /** Sample entry type: 'avc1', 'mp4a', ... */
  codec: string;
  timescale: number;
  sampleCount: number;
  /** Start in the presentation (0 for the earliest track). */
  startMs: number;
  durationMs: number;
}

export interface FinalizeResult {
  durationMs: number;
  sizeBytes: number;
  tracks: FinalizedTrack[];
  fragmentCount: number;
  /** The input ended inside a fragment (a crash): the incomplete tail was left out. */
  truncated: boolean;
  /** moovFirst with reserveBytes: the moov did not fit in the reserve. */
  reserveExceeded: boolean;
  moovBytes: number;
}

const FTYP = buildFtyp();
const FREE_HEADER_BYTES = 8;

export async function finalizeFragmentedMp4(
  inputPath: string,
  outputPath: string,
  options: FinalizeOptions,
): Promise<FinalizeResult> {
  const input = await open(inputPath, 'r');
  try {
    const scan = await scanFragmentedMp4(input);
    const tracks = scan.tracks.filter((track) => track.table.sampleCount > 0);
    if (tracks.length === 0) throw new Error(`${inputPath}: no complete fragment with samples`);
    const timings = computeTrackTimings(tracks, scan.init.movieTimescale);
    const dataBytes = scan.runs.reduce((sum, run) => sum + run.byteLength, 0);
    const mdatHeader = boxHeader('mdat', dataBytes);
    const runOffsets = cumulativeOffsets(scan.runs);
    const moovFor = (dataStart: number, useCo64: boolean): Uint8Array =>
      buildMoov(scan, tracks, timings, { useCo64, chunkOffset: (run) => dataStart + (runOffsets[run] ?? 0) });

    const parts: Uint8Array[] = [FTYP];
    let reserveExceeded = false;
    let moov: Uint8Array;
    if (options.moovFirst) {
      // The moov's size depends only on stco vs co64, not on the offsets' values: measure it, place it, build it.
      const largestMoov = moovFor(0, true).length;
      const useCo64 =
        FTYP.length + Math.max(largestMoov, options.reserveBytes ?? 0) + 16 + dataBytes > 0xffffffff;
      const region = frontRegionSize(moovFor(0, useCo64).length, options.reserveBytes);
      reserveExceeded = region.exceeded;
      moov = moovFor(FTYP.length + region.size + mdatHeader.length, useCo64);
      parts.push(moov);
      if (region.size > moov.length) parts.push(freeBox(region.size - moov.length));
      parts.push(mdatHeader);
      await writeOutput(outputPath, input, parts, scan, [], options.copyBufferBytes);
    } else {
      const dataStart = FTYP.length + mdatHeader.length;
      moov = moovFor(dataStart, dataStart + dataBytes > 0xffffffff);
      parts.push(mdatHeader);
      await writeOutput(outputPath, input, parts, scan, [moov], options.copyBufferBytes);
    }
    const headerBytes = parts.reduce((sum, part) => sum + part.length, 0);
    return {
      durationMs: Math.max(...timings.map((timing) => timing.trackDuration)) * (1000 / MOVIE_TIMESCALE),
      sizeBytes: headerBytes + dataBytes + (options.moovFirst ? 0 : moov.length),
      tracks: tracks.map((track, i): FinalizedTrack => ({
        trackId: track.init.trackId,
        kind: track.init.handler === 'vide' ? 'video' : track.init.handler === 'soun' ? 'audio' : 'other',
        codec: track.init.sampleEntry,
        timescale: track.init.timescale,
        sampleCount: track.table.sampleCount,
        startMs: (timings[i]?.emptyEditDuration ?? 0) * (1000 / MOVIE_TIMESCALE),
        durationMs: (timings[i]?.segmentDuration ?? 0) * (1000 / MOVIE_TIMESCALE),
      })),
      fragmentCount: scan.fragmentCount,
      truncated: scan.truncated,
      reserveExceeded,
      moovBytes: moov.length,
    };
  } finally {
    await input.close();
  }
}

function frontRegionSize(moovBytes: number, reserveBytes = 0): { size: number; exceeded: boolean } {
  if (reserveBytes <= 0) return { size: moovBytes, exceeded: false };
  if (moovBytes > reserveBytes) return { size: moovBytes, exceeded: true };
  const leftover = reserveBytes - moovBytes;
  // A free box needs at least its 8-byte header: a 1-7 byte gap cannot be filled, so grow the region.
  if (leftover > 0 && leftover < FREE_HEADER_BYTES)
    return { size: reserveBytes + FREE_HEADER_BYTES, exceeded: false };
  return { size: reserveBytes, exceeded: false };
}

function cumulativeOffsets(runs: DataRun[]): Float64Array {
  const offsets = new Float64Array(runs.length);
  let total = 0;
  runs.forEach((run, i) => {
    offsets[i] = total;
    total += run.byteLength;
  });
  return offsets;
}

/** Writes header parts, the sample data of every run in order, then trailer parts; removes the file on error. */
async function writeOutput(
  outputPath: string,
  input: FileHandle,
  header: Uint8Array[],
  scan: FragmentScan,
  trailer: Uint8Array[],
  copyBufferBytes = 4 * 2 ** 20,
): Promise<void> {
  const output = await open(outputPath, 'w');
  try {
    for (const part of header) await writeAll(output, part);
    await copyRuns(input, output, scan.runs, new Uint8Array(copyBufferBytes));
    for (const part of trailer) await writeAll(output, part);
    await output.sync();
  } catch (error) {
    await output.close();
    await rm(outputPath, { force: true });
    throw error;
  }
  await output.close();
}

/** Copies runs in order, merging runs that are adjacent in the input into one sequential read. */
async function copyRuns(
  input: FileHandle,
  output: FileHandle,
  runs: DataRun[],
  buffer: Uint8Array,
): Promise<void> {
  let i = 0;
  while (i < runs.length) {
    const first = runs[i];
    if (!first) break;
    let start = first.inputOffset;
    let end = start + first.byteLength;
    for (i++; i < runs.length && runs[i]?.inputOffset === end; i++) end += runs[i]?.byteLength ?? 0;
    while (start < end) {
      const length = Math.min(buffer.length, end - start);
      const { bytesRead } = await input.read(buffer, 0, length, start);
      if (bytesRead === 0) throw new Error(`input ended at ${start} while copying sample data`);
      await writeAll(output, buffer.subarray(0, bytesRead));
      start += bytesRead;
    }
  }
}

async function writeAll(output: FileHandle, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const result = await output.write(data, written, data.length - written);
    written += result.bytesWritten;
  }
}

function buildFtyp(): Uint8Array {
  const out = new BoxBuilder();
  out.box('ftyp', () => {
    out.fourcc('isom');
    out.u32(0x200);
    for (const brand of ['isom', 'iso2', 'avc1', 'mp41']) out.fourcc(brand);
  });
  return out.result().slice();
}

function freeBox(size: number): Uint8Array {
  const box = new Uint8Array(size);
  new DataView(box.buffer).setUint32(0, size);
  box.set([0x66, 0x72, 0x65, 0x65], 4); // 'free'
  return box;
}
