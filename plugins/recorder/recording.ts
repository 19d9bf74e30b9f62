import { randomUUID } from 'node:crypto';
import type {
  AudioCodec,
  AudioTrack,
  Frame,
  Logger,
  Stream,
  StreamInfo,
  Subscription,
  Track,
} from '../../core/index.js';
import type { RecordedFile, RecordingEndReason, RecordingSettings } from './api.js';
import { errorMessage } from '../../core/index.js';
import type { AudioTranscoderFactory, ContainerWriter, RecordingView } from './api.js';
import { ConvertedAudio } from '../../lib/transcode/converted-audio.js';
import { planTracks } from './audio-conversion.js';
import type { FinalizeDeps } from './finalize-recording.js';
import type { NamingPolicy, TemplateValues } from './file-name.js';
import { DRAIN_TIMEOUT_MS, PartSwitch } from './part-switch.js';
import { RecordingPart } from './recording-part.js';
import type { Policies } from './policies.js';
import { Timeline } from './timeline.js';

export interface RecordingOptions {
  readonly stream: Stream;
  readonly writer: ContainerWriter;
  /** Audio converters (the transcoder plugin); empty when it is disabled. */
  readonly transcoders: readonly AudioTranscoderFactory[];
  readonly policies: Policies;
  readonly settings: RecordingSettings;
  readonly naming: NamingPolicy;
  readonly recordDir: string;
  readonly tmpDir: string;
  /** record_audio_buffer_max_size: audio packets held while waiting for a keyframe to start a part at. */
  readonly audioBufferMaxSize: number;
  readonly deps: FinalizeDeps;
  /** Errors are reported here (logged, counted) as well as to the policies. */
  readonly onError: (where: string, error: unknown) => void;
  /** Each finished file (every part), as soon as it is in record_dir. */
  readonly onFile: (file: RecordedFile) => void;
}

type RecordingState = 'waiting' | 'writing' | 'finishing' | 'finished' | 'failed';

/**
 * One recording of one stream: a bus subscriber that starts at the first video keyframe (audio that
 * arrived just before it is held, so both tracks start together), writes every frame through its
 * container writer into parts (one, or several with rotation), and at the end finalizes them into
 * record_dir. `finished` resolves with the last file, or undefined when no file came of it.
 */
export class Recording {
  readonly id = randomUUID();
  readonly finished: Promise<RecordedFile | undefined>;
  private readonly subscription: Subscription;
  private readonly log: Logger;
  private readonly timeline = new Timeline();
  private readonly tracks = new Map<number, Track>();
  private readonly fileTracks = new Map<number, Track>();
  private readonly converted = new Map<number, ConvertedAudio>();
  private readonly parts: PartSwitch;
  private state: RecordingState = 'waiting';
  private endReason: RecordingEndReason | undefined;
  private skipUntilKeyframe = false;
  private keyframeRequested = false;
  /**
   * Where the recording ends on its timeline (seconds) when a policy refused the next part: the
   * split's keyframe and what follows it are not written; audio presented before it still is, until
   * every audio track has passed it (or DRAIN_TIMEOUT_MS), and then the recording stops.
   */
  private endAt:
    { readonly s: number; readonly audioWaiting: Set<number>; readonly timer: NodeJS.Timeout } | undefined;
  private readonly streamInfo: StreamInfo;
  private lastFile: RecordedFile | undefined;

  constructor(private readonly options: RecordingOptions) {
    const { stream } = options;
    this.streamInfo = stream.info();
    this.log = options.deps.log.child({
      stream: stream.name,
      mediaSessionId: stream.mediaSessionId,
      recordingId: this.id,
    });
    this.parts = new PartSwitch({
      audioBufferMaxSize: options.audioBufferMaxSize,
      trackOf: (id) => this.fileTracks.get(id),
      closePart: (part, reason) => this.closePart(part, reason),
      log: this.log,
    });
    this.subscription = stream.subscribe({ name: 'recorder', role: 'recorder', startAtKeyframe: false });
    this.finished = this.run();
  }

  get mediaSessionId(): string {
    return this.streamInfo.mediaSessionId;
  }

  get status(): RecordingState {
    return this.state;
  }

  /** The current part's file name; elements known only at the end stay unresolved, as in the reference. */
  get fileName(): string {
    return (this.parts.current ?? this.newPart(0, 1)).fileName;
  }

  /** Stops recording (frames already received are still written); resolves with the last finished file. */
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
          this.error('bus', new Error(`recorder queue overflow: ${event.droppedFrames} frames dropped`));
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
      this.state === 'writing' &&
      previous?.config !== undefined &&
      !sameBytes(previous.config, track.config)
    ) {
      this.log.warn(
        { trackId: track.id },
        'decoder configuration changed mid-recording; the file keeps the first one (players may show artefacts)',
      );
    }
  }

  private hasVideo(): boolean {
    return [...this.tracks.values()].some((t) => t.kind === 'video');
  }

  private async onFrame(frame: Frame): Promise<void> {
    if (this.state === 'failed' || this.state === 'finishing') return;
    const track = this.tracks.get(frame.trackId);
    if (track === undefined) return;
    const startsHere = frame.keyframe && (track.kind === 'video' || !this.hasVideo());
    if (this.state === 'waiting') {
      // Audio just before the first keyframe may be presented after it: hold it (bounded; the oldest
      // held frames, presented before the keyframe, are the ones that would be dropped anyway).
      if (!startsHere) {
        if (track.kind === 'audio') this.parts.hold(frame);
        return;
      }
      if (!(await this.start(frame, track))) return;
      this.checkPolicies();
      return;
    }
    if (this.skipUntilKeyframe) {
      if (!startsHere) return;
      this.skipUntilKeyframe = false;
    }
    const rebased = this.timeline.rebase(frame, track);
    if (rebased === undefined) return;
    if (this.endAt !== undefined) {
      if (track.kind !== 'audio') return;
      if (rebased.pts / track.timescale < this.endAt.s) await this.route(rebased);
      else if (this.endAt.audioWaiting.delete(track.id) && this.endAt.audioWaiting.size === 0) {
        void this.stop(this.endReason ?? 'stopped');
      }
      return;
    }
    if (startsHere && !this.parts.splitPending && this.parts.current !== undefined) {
      // A keyframe at or past a limit starts the next part itself: the part so far lasts until it.
      // (After the previous frame the part's duration still stopped at that frame's start.)
      this.checkPolicies(rebased.pts / track.timescale);
    }
    if (this.parts.splitPending) {
      if (startsHere) {
        if (!(await this.split(rebased))) return;
        await this.route(rebased);
        for (const held of this.parts.releaseHeld()) await this.route(held);
        this.checkPolicies();
        return;
      }
      if (track.kind === 'audio' && this.hasVideo()) {
        // Presented after the coming keyframe, it belongs to the next part: hold it until then.
        const evicted = this.parts.hold(rebased);
        if (evicted !== undefined) await this.route(evicted);
        return;
      }
    }
    await this.route(rebased);
    this.checkPolicies();
  }

  /** Converted audio goes through its converter; the rest to the part its time belongs to. */
  private async route(frame: Frame): Promise<void> {
    const converter = this.converted.get(frame.trackId);
    if (converter !== undefined) converter.push(frame);
    else await this.write(frame);
  }

  private write(frame: Frame): Promise<void> {
    return this.parts.write(frame).catch((error: unknown) => {
      // Skip to the next keyframe rather than lose the recording (the error policy counts it).
      this.skipUntilKeyframe = true;
      this.error('write', error);
    });
  }

  /**
   * At the first keyframe: checks the policies, decides the tracks, opens part 1 and writes the
   * keyframe and the held audio presented after it. False when the recording cannot start.
   */
  private async start(keyframe: Frame, keyframeTrack: Track): Promise<boolean> {
    const { writer, transcoders } = this.options;
    const refusal = await this.options.policies.beforePart(this.partStartView(1));
    if (refusal !== undefined) {
      this.fail(refusal.message, refusal.reason);
      return false;
    }
    const plan = planTracks([...this.tracks.values()], writer, transcoders);
    for (const { track, reason } of plan.leftOut) {
      this.log.warn(
        { trackId: track.id },
        `${track.kind} track (${track.codec}) recorded without: ${reason}`,
      );
    }
    const fileTracks = plan.fileTracks.map((track) => {
      const conversion = plan.conversions.get(track.id);
      return conversion === undefined ? track : this.openConverter(conversion.input, conversion.to).output;
    });
    const reason = writer.unsupported(fileTracks);
    if (reason !== undefined) {
      this.fail(`cannot record "${this.streamInfo.name}" to ${writer.container}: ${reason}`, 'errors');
      return false;
    }
    for (const track of fileTracks) this.fileTracks.set(track.id, track);
    const rebased = this.timeline.rebase(keyframe, keyframeTrack)!;
    await this.parts.begin(this.newPart(0, 1));
    this.state = 'writing';
    this.log.info(
      `recording "${this.streamInfo.name}" to ${writer.container} (${this.options.settings.origin})`,
    );
    await this.route(rebased);
    for (const held of this.parts.releaseHeld()) {
      const track = this.tracks.get(held.trackId);
      const early = track === undefined ? undefined : this.timeline.rebase(held, track);
      if (early !== undefined) await this.route(early);
    }
    return true;
  }

  private fail(message: string, reason: RecordingEndReason): void {
    this.state = 'failed';
    this.endReason ??= reason;
    this.log.error(message);
    for (const converter of this.converted.values()) converter.abort();
    this.converted.clear();
    this.subscription.close();
  }

  private newPart(baseS: number, part: number): RecordingPart {
    const { writer, naming, recordDir, tmpDir, deps, settings } = this.options;
    return new RecordingPart({
      recordingId: this.id,
      part,
      numbered: settings.numberParts === true,
      writer,
      tracks: [...this.fileTracks.values()],
      naming,
      recordDir,
      tmpDir,
      source: this.streamInfo.source,
      values: this.startValues(),
      baseS,
      // {startTime}: stream time on the publisher's own clock when it has one (WebRTC), else from 0.
      streamStartMs: (this.options.stream.clockOriginMs ?? 0) + (this.timeline.startTimeMs ?? 0),
      deps,
      log: this.log,
    });
  }

  /**
   * A split point after a policy asked for a new part: the next part starts at this keyframe. When a
   * policy refuses the part (disk-guard), the recording ends here instead: the current part keeps
   * what is presented before the keyframe and closes; false then, and the keyframe is not written.
   */
  private async split(at: Frame): Promise<boolean> {
    const track = this.fileTracks.get(at.trackId) ?? this.tracks.get(at.trackId)!;
    const atS = at.pts / track.timescale;
    const next = (this.parts.current?.part ?? 0) + 1;
    this.keyframeRequested = false;
    const refusal = await this.options.policies.beforePart(this.partStartView(next));
    if (refusal !== undefined) {
      this.log.warn(refusal.message);
      this.endReason ??= refusal.reason;
      const audioWaiting = new Set(
        [...this.tracks.values()].filter((t) => t.kind === 'audio').map((t) => t.id),
      );
      for (const held of this.parts.releaseHeld()) {
        const heldTrack = this.tracks.get(held.trackId)!;
        if (held.pts / heldTrack.timescale < atS) await this.route(held);
        else audioWaiting.delete(held.trackId);
      }
      if (audioWaiting.size === 0) {
        void this.stop(refusal.reason);
      } else {
        // Audio presented before the split may still arrive after it (B-frames, WebRTC): wait for it.
        const timer = setTimeout(() => void this.stop(refusal.reason), DRAIN_TIMEOUT_MS);
        timer.unref();
        this.endAt = { s: atS, audioWaiting, timer };
      }
      return false;
    }
    await this.parts.switchTo(this.newPart(atS, next));
    return true;
  }

  /** `atS`: a frame's time on the recording's timeline that the current part lasts until at least. */
  private checkPolicies(atS?: number): void {
    const verdict = this.options.policies.check(this.view(atS));
    if (verdict === undefined) return;
    if (verdict.action === 'stop') {
      this.log.warn(verdict.message);
      void this.stop(verdict.reason);
      return;
    }
    if (!this.keyframeRequested && this.hasVideo()) {
      this.keyframeRequested = true;
      this.subscription.requestKeyframe();
    }
    if (verdict.action === 'split') this.parts.requestSplit();
  }

  private error(where: string, error: unknown): void {
    this.options.onError(where, error);
    const verdict = this.options.policies.onRecordingError(this.view(), where, error);
    if (verdict?.action === 'stop') {
      this.log.warn(verdict.message);
      void this.stop(verdict.reason);
    }
  }

  private view(atS?: number): RecordingView {
    const part = this.parts.current;
    const untilMs = part === undefined || atS === undefined ? 0 : (atS - part.baseS) * 1000;
    return {
      recordingId: this.id,
      stream: this.streamInfo,
      settings: this.options.settings,
      container: this.options.writer.container,
      part: part?.part ?? 1,
      partBytes: part?.bytesWritten ?? 0,
      partDurationMs: Math.max(part?.durationMs ?? 0, untilMs),
      hasVideo: this.hasVideo(),
      recordDir: this.options.recordDir,
      tmpDir: this.options.tmpDir,
    };
  }

  private partStartView(part: number) {
    const { settings, recordDir, tmpDir } = this.options;
    return { stream: this.streamInfo, settings, part, recordDir, tmpDir };
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
        this.error('transcode', error);
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
    };
  }

  /** Finalizes a part; a failure leaves its file in record_tmp_dir for recovery at the next start. */
  private async closePart(part: RecordingPart, reason: RecordingEndReason): Promise<void> {
    try {
      const file = await part.close(reason, this.streamInfo);
      this.log.info(
        { filePath: file.filePath, durationMs: file.durationMs, sizeBytes: file.sizeBytes, reason },
        `recording finished: ${file.fileName}`,
      );
      this.lastFile = file;
      this.options.onFile(file);
    } catch (error) {
      this.log.error(
        { err: error, tmpPath: part.tmpPath },
        `finalizing the recording of "${this.streamInfo.name}" failed; the file stays in record_tmp_dir for recovery at the next start`,
      );
    }
  }

  private async finish(): Promise<RecordedFile | undefined> {
    clearTimeout(this.endAt?.timer);
    const reason = this.endReason ?? 'stopped';
    if (this.parts.current === undefined) {
      for (const converter of this.converted.values()) converter.abort();
      if (this.state !== 'failed') this.state = 'finished';
      this.log.info(
        `recording of "${this.streamInfo.name}" ended (${reason}) before its first keyframe: no file`,
      );
      return undefined;
    }
    this.state = 'finishing';
    // Audio still held or in the transcoders goes in before the files close.
    for (const frame of this.parts.releaseHeld()) await this.route(frame);
    await Promise.all([...this.converted.values()].map((c) => c.close()));
    await this.parts.end(reason);
    this.state = this.lastFile === undefined ? 'failed' : 'finished';
    return this.lastFile;
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
