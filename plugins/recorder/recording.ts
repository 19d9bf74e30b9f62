import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type {
  AudioCodec,
  AudioTrack,
  Frame,
  Logger,
  RecordedFile,
  RecordingEndReason,
  RecordingSettings,
  Stream,
  StreamInfo,
  Subscription,
  Track,
} from '../../core/index.js';
import { errorMessage } from '../../core/index.js';
import type { AudioTranscoderFactory, ContainerWriter, RecordingFileWriter } from './api.js';
import { ConvertedAudio, planTracks } from './audio-conversion.js';
import { finalizeRecording, type FinalizeDeps } from './finalize-recording.js';
import { recordingFileName, type NamingPolicy, type TemplateValues } from './file-name.js';
import { writeJournal, type RecordingJournal } from './journal.js';
import { Timeline } from './timeline.js';

export interface RecordingOptions {
  readonly stream: Stream;
  readonly writer: ContainerWriter;
  /** Audio converters (the transcoder plugin); empty when it is disabled. */
  readonly transcoders: readonly AudioTranscoderFactory[];
  readonly settings: RecordingSettings;
  readonly naming: NamingPolicy;
  readonly recordDir: string;
  readonly tmpDir: string;
  readonly deps: FinalizeDeps;
  /** Called for errors the error policy counts (write errors, bus overflow). */
  readonly onError: (where: string, error: unknown) => void;
}

type RecordingState = 'waiting' | 'writing' | 'finishing' | 'finished' | 'failed';

/**
 * One recording of one stream: a bus subscriber that starts the file at the first keyframe,
 * writes every frame through its container writer, and at the end finalizes the file into
 * record_dir. `finished` resolves with the file, or undefined when no file came of it.
 */
export class Recording {
  readonly id = randomUUID();
  readonly finished: Promise<RecordedFile | undefined>;
  private readonly subscription: Subscription;
  private readonly log: Logger;
  private readonly timeline = new Timeline();
  private readonly tracks = new Map<number, Track>();
  private fileTrackIds = new Set<number>();
  private file: RecordingFileWriter | undefined;
  /** Source audio track id → its converter, for audio the container cannot hold. */
  private readonly converted = new Map<number, ConvertedAudio>();
  /** Writes to the file, one at a time and in order (converted audio arrives on its own schedule). */
  private writes: Promise<void> = Promise.resolve();
  private journal: RecordingJournal | undefined;
  private state: RecordingState = 'waiting';
  private endReason: RecordingEndReason | undefined;
  private skipUntilKeyframe = false;
  private readonly streamInfo: StreamInfo;

  constructor(private readonly options: RecordingOptions) {
    const { stream } = options;
    this.streamInfo = stream.info();
    this.log = options.deps.log.child({
      stream: stream.name,
      mediaSessionId: stream.mediaSessionId,
      recordingId: this.id,
    });
    this.subscription = stream.subscribe({ name: 'recorder', role: 'recorder' });
    this.finished = this.run();
  }

  get mediaSessionId(): string {
    return this.streamInfo.mediaSessionId;
  }

  get status(): RecordingState {
    return this.state;
  }

  /** The name the file will get; elements known only at the end stay unresolved, as in the reference. */
  get fileName(): string {
    const values = this.journal?.values ?? this.startValues();
    return recordingFileName(this.options.naming, values, { extension: this.options.writer.extension });
  }

  /** Stops recording (frames already received are still written); resolves with the finished file. */
  stop(reason: RecordingEndReason): Promise<RecordedFile | undefined> {
    this.endReason ??= reason;
    this.subscription.end(reason);
    return this.finished;
  }

  private async run(): Promise<RecordedFile | undefined> {
    try {
      for await (const event of this.subscription) {
        if (event.type === 'track') this.onTrack(event.track);
        else if (event.type === 'frame') await this.onFrame(event.frame);
        else if (event.type === 'overflow') {
          this.options.onError(
            'bus',
            new Error(`recorder queue overflow: ${event.droppedFrames} frames dropped`),
          );
        } else this.endReason ??= 'unpublished';
      }
    } catch (error) {
      this.log.error({ err: error }, `recording of "${this.streamInfo.name}" failed: ${errorMessage(error)}`);
      this.endReason ??= 'errors';
      this.subscription.close();
    }
    return this.finish();
  }

  private onTrack(track: Track): void {
    const previous = this.tracks.get(track.id);
    this.tracks.set(track.id, track);
    if (
      this.file !== undefined &&
      previous?.config !== undefined &&
      !sameBytes(previous.config, track.config)
    ) {
      this.log.warn(
        { trackId: track.id },
        'decoder configuration changed mid-recording; the file keeps the first one (players may show artefacts)',
      );
    }
  }

  private async onFrame(frame: Frame): Promise<void> {
    if (this.state === 'failed') return;
    if (this.file === undefined) await this.open();
    if (this.file === undefined || !this.fileTrackIds.has(frame.trackId)) return;
    const track = this.tracks.get(frame.trackId)!;
    if (this.skipUntilKeyframe) {
      if (!(frame.keyframe && (track.kind === 'video' || !this.hasVideo()))) return;
      this.skipUntilKeyframe = false;
    }
    const rebased = this.timeline.rebase(frame, track);
    if (rebased === undefined) return;
    const converter = this.converted.get(frame.trackId);
    if (converter !== undefined) converter.push(rebased);
    else await this.write(rebased);
    if (this.journal !== undefined && this.journal.values.startTime === undefined) {
      // The first frame fixes {startTime}; keep it for a recovery after a crash.
      this.journal = {
        ...this.journal,
        values: { ...this.journal.values, startTime: this.timeline.startTimeMs! },
      };
      await writeJournal(this.journal);
    }
  }

  /** Queues a frame for the file; resolves when it is written (backpressure for the bus loop). */
  private write(frame: Frame): Promise<void> {
    const file = this.file;
    if (file === undefined) return Promise.resolve();
    this.writes = this.writes.then(async () => {
      try {
        await file.write(frame);
      } catch (error) {
        // Skip to the next keyframe rather than lose the recording (the error policy counts it).
        this.skipUntilKeyframe = true;
        this.options.onError('write', error);
      }
    });
    return this.writes;
  }

  private async open(): Promise<void> {
    const { writer, transcoders } = this.options;
    const plan = planTracks([...this.tracks.values()], writer, transcoders);
    for (const { track, reason } of plan.leftOut) {
      this.log.warn(
        { trackId: track.id },
        `${track.kind} track (${track.codec}) recorded without: ${reason}`,
      );
    }
    const fileTracks = plan.fileTracks.map((track) => {
      const conversion = plan.conversions.get(track.id);
      if (conversion === undefined) return track;
      const converter = this.openConverter(conversion.input, conversion.to);
      return converter.output;
    });
    const reason = writer.unsupported(fileTracks);
    if (reason !== undefined) {
      this.state = 'failed';
      this.log.error(`cannot record "${this.streamInfo.name}" to ${writer.container}: ${reason}`);
      for (const converter of this.converted.values()) converter.abort();
      this.converted.clear();
      this.subscription.close();
      return;
    }
    const { tmpDir, recordDir, naming } = this.options;
    const tmpPath = join(tmpDir, `.spool-${this.id}.${writer.extension}`);
    this.journal = {
      version: 1,
      recordingId: this.id,
      container: writer.container,
      extension: writer.extension,
      tmpPath,
      recordDir,
      naming,
      values: this.startValues(),
      source: this.streamInfo.source,
    };
    await writeJournal(this.journal);
    try {
      this.file = await writer.open({ tmpPath, tracks: fileTracks, log: this.log });
    } catch (error) {
      for (const converter of this.converted.values()) converter.abort();
      throw error;
    }
    this.fileTrackIds = new Set(fileTracks.map((t) => t.id));
    this.state = 'writing';
    this.log.info(
      { tmpPath },
      `recording "${this.streamInfo.name}" to ${writer.container} (${this.options.settings.origin})`,
    );
  }

  private openConverter(input: AudioTrack, to: AudioCodec): ConvertedAudio {
    const factory = this.options.transcoders.find((f) => f.supports(input.codec, to))!;
    const converter = new ConvertedAudio({
      input,
      to,
      factory,
      log: this.log.child({ trackId: input.id, transcode: `${input.codec}->${to}` }),
      onFrame: (frame) => void this.write(frame),
      onError: (error, fatal) => {
        this.options.onError('transcode', error);
        if (fatal) void this.stop('errors');
      },
    });
    this.converted.set(input.id, converter);
    this.log.info(`${input.codec} audio is transcoded to ${to} for ${this.options.writer.container}`);
    return converter;
  }

  private startValues(): TemplateValues {
    const video = [...this.tracks.values()].find((t) => t.kind === 'video');
    const audio = [...this.tracks.values()].find((t) => t.kind === 'audio');
    const info = this.streamInfo;
    return {
      streamName: info.name,
      mediaSessionId: info.mediaSessionId,
      login: info.login,
      sessionId: Buffer.from(`${info.source}:${info.mediaSessionId}`).toString('base64'),
      ...(audio === undefined ? {} : { audioCodec: audio.codec }),
      ...(video === undefined ? {} : { videoCodec: video.codec }),
      startTimeMillis: Date.now(),
    };
  }

  private async finish(): Promise<RecordedFile | undefined> {
    const reason = this.endReason ?? 'stopped';
    if (this.file === undefined || this.journal === undefined) {
      for (const converter of this.converted.values()) converter.abort();
      if (this.state !== 'failed') this.state = 'finished';
      this.log.info(
        `recording of "${this.streamInfo.name}" ended (${reason}) before its first keyframe: no file`,
      );
      return undefined;
    }
    this.state = 'finishing';
    const journal = this.journal;
    try {
      // Converted audio still in the transcoders goes in before the file closes.
      await Promise.all([...this.converted.values()].map((c) => c.close()));
      await this.writes;
      await this.file.close();
    } catch (error) {
      this.log.error({ err: error }, 'closing the recording file failed; finalizing what is on disk');
    }
    try {
      const file = await finalizeRecording(
        journal,
        this.options.writer,
        {
          endTimeMillis: Date.now(),
          reason,
          stream: this.streamInfo,
          ...(this.timeline.endTimeMs === undefined ? {} : { endTime: this.timeline.endTimeMs }),
        },
        this.options.deps,
      );
      this.state = 'finished';
      this.log.info(
        { filePath: file.filePath, durationMs: file.durationMs, sizeBytes: file.sizeBytes, reason },
        `recording finished: ${file.fileName}`,
      );
      return file;
    } catch (error) {
      this.state = 'failed';
      this.log.error(
        { err: error, tmpPath: journal.tmpPath },
        `finalizing the recording of "${this.streamInfo.name}" failed; the file stays in record_tmp_dir for recovery at the next start`,
      );
      return undefined;
    }
  }

  private hasVideo(): boolean {
    return [...this.tracks.values()].some((t) => t.kind === 'video' && this.fileTrackIds.has(t.id));
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
