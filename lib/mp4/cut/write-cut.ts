/**
 * Writes a planned cut: ftyp (the source's), moov, mdat (moov first, so it plays over HTTP at once), the sample data
 * copied from the source through a fixed-size buffer, never the whole cut in memory.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { boxHeader } from '../box-builder.js';
import type { InitSegment } from '../init-segment.js';
import { buildMoov } from '../moov-builder.js';
import type { CopyRuns, CutPlan } from './cut-plan.js';

export interface WriteCutOptions {
  /**
   * Size of the copy buffer. Default 512 KiB: larger costs more than it saves, since first touching fresh
   * memory (page faults) is dear on a busy machine, and a 30 s cut is a few reads anyway.
   */
  readonly bufferBytes?: number;
  /** Write 64-bit chunk offsets even when 32 bits would do (for tests of co64 sources). */
  readonly forceCo64?: boolean;
}

const U32_MAX = 0xffffffff;

/** Writes the cut to `outputPath` (created or replaced); returns its size. */
export async function writeCut(
  input: FileHandle,
  outputPath: string,
  source: { ftyp: Uint8Array | undefined; init: InitSegment },
  plan: CutPlan,
  options: WriteCutOptions = {},
): Promise<number> {
  // A source without ftyp (old QuickTime-style files) gives a cut without one: players take it as such.
  const ftyp = source.ftyp ?? new Uint8Array(0);
  const mdatHeader = boxHeader('mdat', plan.dataBytes);
  const outputOffsets = new Float64Array(plan.runs.count);
  for (let i = 1; i < plan.runs.count; i++) {
    outputOffsets[i] = (outputOffsets[i - 1] ?? 0) + (plan.runs.byteLengths[i - 1] ?? 0);
  }
  const moovFor = (dataStart: number, useCo64: boolean): Uint8Array =>
    buildMoov({ init: source.init }, plan.tracks, plan.timings, {
      useCo64,
      chunkOffset: (run) => dataStart + (outputOffsets[run] ?? 0),
    });
  // The moov's size depends on stco vs co64, not on the offsets' values: build it once with stco to size
  // it (co64 takes 4 bytes more per chunk), then once for good.
  const stcoMoovBytes = moovFor(0, false).length;
  const co64MoovBytes = stcoMoovBytes + 4 * plan.runs.count;
  const useCo64 =
    options.forceCo64 === true || ftyp.length + co64MoovBytes + mdatHeader.length + plan.dataBytes > U32_MAX;
  const moovBytes = useCo64 ? co64MoovBytes : stcoMoovBytes;
  const moov = moovFor(ftyp.length + moovBytes + mdatHeader.length, useCo64);
  if (moov.length !== moovBytes) throw new Error(`moov of ${moov.length} bytes, ${moovBytes} expected`);

  const output = await open(outputPath, 'w');
  try {
    for (const part of [ftyp, moov, mdatHeader]) await output.writeFile(part);
    await copyRuns(input, output, plan.runs, options.bufferBytes ?? 512 * 1024);
  } finally {
    await output.close();
  }
  return ftyp.length + moov.length + mdatHeader.length + plan.dataBytes;
}

/**
 * Copies the runs in order into the output, through one buffer: runs adjacent in the source (a cut's
 * interleaved audio and video) are read as one span, straight into the buffer where they are written from.
 */
async function copyRuns(
  input: FileHandle,
  output: FileHandle,
  runs: CopyRuns,
  bufferBytes: number,
): Promise<void> {
  const buffer = new Uint8Array(bufferBytes);
  let filled = 0;
  for (let i = 0; i < runs.count;) {
    let offset = runs.inputOffsets[i] ?? 0;
    let end = offset + (runs.byteLengths[i] ?? 0);
    for (i++; i < runs.count && runs.inputOffsets[i] === end; i++) end += runs.byteLengths[i] ?? 0;
    while (offset < end) {
      if (filled === buffer.length) {
        await output.writeFile(buffer);
        filled = 0;
      }
      const { bytesRead } = await input.read(
        buffer,
        filled,
        Math.min(end - offset, buffer.length - filled),
        offset,
      );
      if (bytesRead === 0) throw new Error(`the source ends at ${offset}, inside the sample data`);
      filled += bytesRead;
      offset += bytesRead;
    }
  }
  await output.writeFile(buffer.subarray(0, filled));
}
