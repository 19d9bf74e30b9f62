/**
 * Cuts a time range out of an MP4 without re-encoding. Runs in a worker thread (the recorder's file-work
 * pool, or records-http's own): reading the sample tables of a long recording costs CPU. The native
 * cutter (mp4-cut/) reads them into typed arrays and writes the new moov itself; an MP4 it does not
 * handle (fragmented, several sample descriptions in a track) goes to mediabunny's slower Conversion.
 */
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { cutTempPath } from './cut-temp-path.js';
import { isCutHandler, planCut, sourceDurationS, type SourceTrack } from './cut-plan.js';
import { TrackSamples } from '../sample-tables.js';
import { readSourceMoov, UnsupportedMp4Error } from '../source-moov.js';
import { writeCut, type WriteCutOptions } from './write-cut.js';

export interface CutOptions {
  readonly startS: number;
  /** Undefined = to the end of the recording. */
  readonly endS?: number;
}

export type CutResult =
  | {
      readonly ok: true;
      readonly sizeBytes: number;
      readonly sourceDurationS: number;
      /** Where the copied media starts in the source: the keyframe at or before startS. */
      readonly copiedFromS: number;
      /** Tracks left out of the cut, with the reason. */
      readonly discarded: readonly string[];
    }
  | { readonly ok: false; readonly reason: 'start-beyond-duration'; readonly sourceDurationS: number };

/**
 * The native cut of `source` into `outputPath`. Throws UnsupportedMp4Error, before writing anything, for
 * an MP4 it does not read.
 */
export async function nativeCut(
  source: string,
  outputPath: string,
  options: CutOptions,
  writeOptions?: WriteCutOptions,
): Promise<CutResult> {
  const input = await open(source, 'r');
  try {
    const moov = await readSourceMoov(input);
    const { movieTimescale } = moov.init;
    const leftOut = moov.init.tracks
      .filter((init) => !isCutHandler(init.handler))
      .map((init) => `${init.handler} track ${init.trackId}: only video, audio and timed text are cut`);
    const tracks: SourceTrack[] = moov.init.tracks
      .filter((init) => isCutHandler(init.handler))
      .map((init) => ({ init, samples: new TrackSamples(init.trak.body) }));
    if (tracks.length === 0) throw new Error(`nothing to cut: ${leftOut.join('; ') || 'no tracks'}`);
    const durationS = sourceDurationS(tracks, movieTimescale);
    if (options.startS >= durationS) {
      return { ok: false, reason: 'start-beyond-duration', sourceDurationS: durationS };
    }
    const endS = Math.min(options.endS ?? durationS, durationS);
    const plan = planCut(tracks, movieTimescale, options.startS, endS);
    const sizeBytes = await writeCut(input, outputPath, moov, plan, writeOptions);
    return {
      ok: true,
      sizeBytes,
      sourceDurationS: durationS,
      copiedFromS: plan.copiedFromS,
      discarded: [...leftOut, ...plan.discarded],
    };
  } finally {
    await input.close();
  }
}

async function cutToPath(source: string, outputPath: string, options: CutOptions): Promise<CutResult> {
  try {
    return await nativeCut(source, outputPath, options);
  } catch (error) {
    if (!(error instanceof UnsupportedMp4Error)) throw error;
    const { mediabunnyCut } = await import('./mediabunny-cut.js');
    return mediabunnyCut(source, outputPath, options);
  }
}

/**
 * Writes the part of the MP4 `source` between startS and endS to `target` (moov first), copying the
 * encoded media from the keyframe at or before startS. It is written under a hidden temp name beside
 * `target` and renamed into place, so `target` is either absent or complete. A start at or beyond the
 * source's duration writes nothing and is reported, not thrown.
 */
export async function cutMp4(source: string, target: string, options: CutOptions): Promise<CutResult> {
  await mkdir(dirname(target), { recursive: true });
  const tmpPath = cutTempPath(target);
  try {
    const result = await cutToPath(source, tmpPath, options);
    if (!result.ok) return result;
    await rename(tmpPath, target);
    return { ...result, sizeBytes: (await stat(target)).size };
  } finally {
    await rm(tmpPath, { force: true });
  }
}

/** The same, with one argument: the entry point of records-http's own worker pool (piscina `name`). */
export function cutMp4Task(task: {
  source: string;
  target: string;
  options: CutOptions;
}): Promise<CutResult> {
  return cutMp4(task.source, task.target, task.options);
}
