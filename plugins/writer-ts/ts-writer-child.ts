/**
 * Test fixture: records a looped media file to MPEG-TS through TsContainerWriter, the way the recorder
 * does. Imported by the writer-ts tests; also a child-process script for the crash test:
 *
 *   node dist/plugins/writer-ts/ts-writer-child.js CLIP OUT SECONDS [av|v|a] [--realtime]
 *
 * It prints `started` once the file is open, then one JSON line ({ frames, bytesWritten }) when done.
 * With --realtime, frames are paced by their timestamps, as a live publisher sends them.
 */
import { realpathSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Track } from '../../core/media.js';
import { loopFrames, readMediaFile, type MediaFile } from '../../test/helpers/media-file.js';
import { TsContainerWriter } from './ts-writer.js';

export interface WriteTsOptions {
  readonly totalS: number;
  readonly video?: boolean;
  readonly audio?: boolean;
  readonly realtime?: boolean;
  readonly flushIntervalMs?: number;
  readonly onStarted?: () => void;
}

export interface WriteTsResult {
  readonly frames: number;
  /** What the writer reported after close. */
  readonly bytesWritten: number;
}

export async function writeTsRecording(
  media: MediaFile,
  path: string,
  options: WriteTsOptions,
): Promise<WriteTsResult> {
  const withVideo = options.video !== false && media.video !== undefined;
  const withAudio = options.audio !== false && media.audio !== undefined;
  const tracks: Track[] = [
    ...(withVideo ? [media.video!.track] : []),
    ...(withAudio ? [media.audio!.track] : []),
  ];
  const writer = new TsContainerWriter({ flushIntervalMs: options.flushIntervalMs ?? 500 });
  const file = await writer.open({ tmpPath: path, tracks, log: pino({ enabled: false }) });
  options.onStarted?.();
  const startedMs = performance.now();
  let frames = 0;
  for (const frame of loopFrames(media, { totalS: options.totalS, video: withVideo, audio: withAudio })) {
    if (options.realtime) {
      const waitMs = frame.arrivalMs - (performance.now() - startedMs);
      if (waitMs > 0) await sleep(waitMs);
    }
    await file.write(frame);
    frames++;
  }
  await file.close();
  return { frames, bytesWritten: file.bytesWritten };
}

async function main(args: string[]): Promise<void> {
  const [clipPath, outPath, secondsArg, tracks = 'av', ...flags] = args;
  if (!clipPath || !outPath || !secondsArg) {
    throw new Error('usage: ts-writer-child CLIP OUT SECONDS [av|v|a] [--realtime]');
  }
  const result = await writeTsRecording(await readMediaFile(clipPath), outPath, {
    totalS: Number(secondsArg),
    video: tracks.includes('v'),
    audio: tracks.includes('a'),
    realtime: flags.includes('--realtime'),
    onStarted: () => console.log('started'),
  });
  console.log(JSON.stringify(result));
}

const invokedPath = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invokedPath === realpathSync(fileURLToPath(import.meta.url))) await main(process.argv.slice(2));
