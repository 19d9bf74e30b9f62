import type { AudioTrack, Frame, Track, VideoTrack } from '../../core/index.js';
import { singleTrackProblem } from '../../lib/codecs/track-check.js';
import type {
  ContainerWriter,
  FinalizeOptions,
  OpenWriterOptions,
  RecordingFileWriter,
} from '../recorder/api.js';
import { AppendFile } from '../../lib/mpegts/append-file.js';
import { TsMuxer } from '../../lib/mpegts/ts-muxer.js';

export interface TsWriterSettings {
  /** Buffered packets reach the file at the latest this long after they were muxed. */
  readonly flushIntervalMs: number;
}

/** Bounds the write buffer whatever the bitrate: at most this much waits between flushes. */
const MAX_BUFFER_BYTES = 1024 * 1024;

/**
 * H.264 + AAC into MPEG-TS. The recording is written straight into its final form, packet by
 * packet, so a crash loses at most the last flush interval; the finalizer only copies the file and
 * cuts off what a crash left unfinished.
 */
export class TsContainerWriter implements ContainerWriter {
  readonly container = 'ts';
  readonly extension = 'ts';
  readonly audioCodecs = ['aac'] as const;
  readonly finalizer = {
    module: new URL('../../lib/mpegts/finalize.js', import.meta.url).href,
    exportName: 'finalizeMpegTs',
  };

  constructor(private readonly settings: TsWriterSettings) {}

  unsupported(tracks: readonly Track[]): string | undefined {
    return singleTrackProblem(tracks, {
      label: 'MPEG-TS',
      videoCodecs: ['h264'],
      audioCodecs: this.audioCodecs,
    });
  }

  async open(options: OpenWriterOptions): Promise<RecordingFileWriter> {
    const reason = this.unsupported(options.tracks);
    if (reason !== undefined) throw new Error(reason);
    const video = options.tracks.find((t): t is VideoTrack => t.kind === 'video');
    const audio = options.tracks.find((t): t is AudioTrack => t.kind === 'audio');
    // Built before the file exists: a bad avcC or AudioSpecificConfig fails here, leaving nothing behind.
    const muxer = new TsMuxer({
      ...(video === undefined ? {} : { video: { avcC: video.config!, timescale: video.timescale } }),
      ...(audio === undefined
        ? {}
        : { audio: { audioSpecificConfig: audio.config!, timescale: audio.timescale } }),
    });
    const file = await AppendFile.create(options.tmpPath, {
      flushIntervalMs: this.settings.flushIntervalMs,
      maxBufferBytes: MAX_BUFFER_BYTES,
    });
    return new TsFileWriter(muxer, file, video?.id, audio?.id);
  }

  finalizeOptions(): FinalizeOptions {
    return {};
  }
}

class TsFileWriter implements RecordingFileWriter {
  constructor(
    private readonly muxer: TsMuxer,
    private readonly file: AppendFile,
    private readonly videoTrackId: number | undefined,
    private readonly audioTrackId: number | undefined,
  ) {}

  /** Every byte muxed so far, flushed or not: the file's size once closed. */
  get bytesWritten(): number {
    return this.file.size;
  }

  async write(frame: Frame): Promise<void> {
    if (frame.trackId === this.videoTrackId) {
      // A keyframe starts a new flush: what came before it, a whole GOP, reaches the disk now.
      if (frame.keyframe) await this.file.flush();
      this.file.append(this.muxer.video(frame));
    } else if (frame.trackId === this.audioTrackId) {
      this.file.append(this.muxer.audio(frame));
    } else {
      return;
    }
    await this.file.flushIfDue();
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
