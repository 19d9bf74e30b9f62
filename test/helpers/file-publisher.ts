/**
 * Publishes a media file's frames onto a Spool stream bus, as an ingest plugin would: tracks first, then
 * frames merged by decode time, in real time (or faster). Lets the recorder and the writers be tested with
 * any codec Spool knows (H.264/VP8 + AAC/Opus) before a protocol ingest for it exists.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Stream, StreamBus } from '../../core/index.js';
import type { Track } from '../../core/media.js';
import { loopFrames, readMediaFile, type MediaFile } from './media-file.js';

export interface FilePublishOptions {
  readonly name: string;
  /** Seconds of media to publish (the file is looped when shorter). */
  readonly seconds: number;
  /** The publisher's record flag (record=true). Default true. */
  readonly record?: boolean;
  /** Playback speed: 1 = real time (default); 0 = as fast as possible. */
  readonly speed?: number;
  readonly video?: boolean;
  readonly audio?: boolean;
  readonly source?: string;
  readonly login?: string;
}

export interface FilePublisher {
  readonly stream: Stream;
  /** Resolves when every frame was written (the stream stays published). */
  readonly done: Promise<void>;
  /** Stops sending and ends the stream (unpublish). */
  stop(reason?: string): Promise<void>;
}

/** Publishes `pathOrMedia` on the bus; resolves once the stream is published and sending. */
export async function publishFile(
  bus: StreamBus,
  pathOrMedia: string | MediaFile,
  options: FilePublishOptions,
): Promise<FilePublisher> {
  const media = typeof pathOrMedia === 'string' ? await readMediaFile(pathOrMedia) : pathOrMedia;
  const tracks: Track[] = [];
  if (media.video && options.video !== false) tracks.push(media.video.track);
  if (media.audio && options.audio !== false) tracks.push(media.audio.track);
  const stream = await bus.publish({
    name: options.name,
    login: options.login ?? '',
    source: options.source ?? 'test',
    record: options.record ?? true,
    tracks,
    query: {},
  });
  const speed = options.speed ?? 1;
  let stopped = false;
  const send = async (): Promise<void> => {
    const startMs = Date.now();
    const frames = loopFrames(media, {
      totalS: options.seconds,
      video: options.video !== false,
      audio: options.audio !== false,
      arrivalStartMs: startMs,
    });
    let sent = 0;
    for (const frame of frames) {
      if (stopped || stream.ended) return;
      if (speed > 0) {
        const dueMs = startMs + (frame.arrivalMs - startMs) / speed;
        const waitMs = dueMs - Date.now();
        if (waitMs > 1) await sleep(waitMs);
      } else if (++sent % 200 === 0) {
        // Let subscribers drain, as a fast network publisher would still be paced by its socket.
        await sleep(1);
      }
      if (stopped || stream.ended) return;
      stream.writeFrame({ ...frame, arrivalMs: Date.now() });
    }
  };
  const done = send();
  return {
    stream,
    done,
    async stop(reason = 'publisher stopped') {
      stopped = true;
      await done.catch(() => undefined);
      await stream.end(reason);
    },
  };
}
