import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  SpoolError,
  type HookCatalogue,
  type Logger,
  type Stream,
  type StreamBus,
} from '../../core/index.js';
import type { RecordedFile, RecorderHookSignatures, RecordingEndReason, RecordingSettings } from './api.js';
import type {
  AudioTranscoderFactory,
  ContainerWriter,
  FileTask,
  FileWork,
  RecorderService,
  RecordingOverrides,
  RecordingStatus,
  TranscoderRegistry,
  WriterRegistry,
} from './api.js';
import type { RecorderConfig } from './config.js';
import { FileWorkPool } from './file-work-pool.js';
import { Policies } from './policies.js';
import { decideRecording } from './policy.js';
import { Recording } from './recording.js';
import { recoverOrphans } from './recovery.js';

/** Media sessions whose finished files filesOf() remembers. */
const REMEMBERED_SESSIONS = 4096;

/** The recorder's state: writers, running recordings by stream, the worker pool. */
export class Recorder implements RecorderService, WriterRegistry, TranscoderRegistry, FileWork {
  private readonly writers = new Map<string, ContainerWriter>();
  private readonly transcoders: AudioTranscoderFactory[] = [];
  /** Rotation, disk-guard, error-policy … register here. */
  readonly policies: Policies;
  private readonly recordings = new Map<string, Recording>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly starting = new Map<string, Promise<RecordingStatus>>();
  /** Finished files by media session, oldest session first (a bounded history for filesOf). */
  private readonly filesBySession = new Map<string, RecordedFile[]>();
  private pool: FileWorkPool | undefined;
  private recoveryDone: Promise<readonly RecordedFile[]> = Promise.resolve([]);
  readonly recordDir: string;
  readonly tmpDir: string;

  constructor(
    private readonly config: Readonly<RecorderConfig>,
    private readonly bus: StreamBus,
    private readonly hooks: HookCatalogue<RecorderHookSignatures>,
    private readonly log: Logger,
    private readonly onError: (where: string, error: unknown) => void,
  ) {
    this.policies = new Policies(log, onError);
    this.recordDir = resolve(config.recordDir);
    this.tmpDir = resolve(config.recordTmpDir === '' ? config.recordDir : config.recordTmpDir);
  }

  get recovered(): Promise<readonly RecordedFile[]> {
    return this.recoveryDone;
  }

  register(writer: ContainerWriter): void {
    this.writers.set(writer.container, writer);
  }

  get(container: string): ContainerWriter | undefined {
    return this.writers.get(container);
  }

  registerTranscoder(factory: AudioTranscoderFactory): void {
    this.transcoders.push(factory);
  }

  /** FileWork: a task on the worker pool (after start). */
  run<T>(task: FileTask): Promise<T> {
    if (this.pool === undefined) return Promise.reject(new Error('the recorder has not started'));
    return this.pool.run<T>(task);
  }

  get queued(): number {
    return this.pool?.queued ?? 0;
  }

  async open(): Promise<void> {
    await mkdir(this.recordDir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
    this.pool = new FileWorkPool(this.config.threadPoolMaxSize);
    this.recoveryDone = recoverOrphans(this.tmpDir, (c) => this.writers.get(c), this.finalizeDeps()).then(
      async (files) => {
        for (const file of files) await this.announce(file);
        return files;
      },
    );
    this.track(this.recoveryDone);
  }

  /** The `published` tap: records the stream if the policy says so. */
  async onPublished(stream: Stream): Promise<void> {
    const decision = decideRecording(stream.info(), this.config);
    if (!decision.record) {
      this.log.debug({ stream: stream.name }, `not recording "${stream.name}": ${decision.reason}`);
      return;
    }
    await this.startRecording(stream, decision.origin, {});
  }

  /** The `unpublished` tap: waits for the file, at most record_stop_timeout seconds. */
  async onUnpublished(mediaSessionId: string): Promise<void> {
    const recording = this.recordings.get(mediaSessionId);
    if (recording === undefined) return;
    const timeoutMs = this.config.recordStopTimeout * 1000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((done) => (timer = setTimeout(() => done('timeout'), timeoutMs)));
    const outcome = await Promise.race([recording.finished, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.log.warn(
        { mediaSessionId },
        `recording still finalizing after record_stop_timeout=${this.config.recordStopTimeout} s; reported unpublished, finalization continues`,
      );
    }
  }

  /** REST start: one call per stream at a time, so two concurrent calls never leave a stray recording. */
  start(mediaSessionId: string, overrides: RecordingOverrides = {}): Promise<RecordingStatus> {
    const previous = this.starting.get(mediaSessionId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.restart(mediaSessionId, overrides));
    this.starting.set(mediaSessionId, next);
    void next
      .catch(() => undefined)
      .finally(() => {
        if (this.starting.get(mediaSessionId) === next) this.starting.delete(mediaSessionId);
      });
    return next;
  }

  private async restart(mediaSessionId: string, overrides: RecordingOverrides): Promise<RecordingStatus> {
    const stream = this.bus.get(mediaSessionId);
    if (stream === undefined)
      throw new SpoolError('SPOOL_ERR_NOT_FOUND', `no published stream ${mediaSessionId}`);
    const running = this.recordings.get(mediaSessionId);
    if (running !== undefined) await running.stop('stopped');
    const recording = await this.startRecording(stream, 'rest', overrides);
    if (recording === undefined) {
      throw new SpoolError(
        'SPOOL_ERR_BAD_REQUEST',
        `stream ${mediaSessionId} cannot be recorded (see the log)`,
      );
    }
    return this.statusOf(recording);
  }

  async stop(
    mediaSessionId: string,
    reason: RecordingEndReason = 'stopped',
  ): Promise<RecordedFile | undefined> {
    const recording = this.recordings.get(mediaSessionId);
    if (recording === undefined)
      throw new SpoolError('SPOOL_ERR_NOT_FOUND', `no recording of ${mediaSessionId}`);
    return recording.stop(reason);
  }

  filesOf(mediaSessionId: string): readonly RecordedFile[] {
    return this.filesBySession.get(mediaSessionId) ?? [];
  }

  list(): RecordingStatus[] {
    return [...this.recordings.values()].map((r) => this.statusOf(r));
  }

  /** Plugin stop: every recording is closed and finalized, hooks finish, the pool closes. */
  async close(): Promise<void> {
    await Promise.all([...this.recordings.values()].map((r) => r.stop('shutdown')));
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
    await this.pool?.close();
  }

  private async startRecording(
    stream: Stream,
    origin: RecordingSettings['origin'],
    overrides: RecordingOverrides,
  ): Promise<Recording | undefined> {
    const settings = await this.hooks.call('recordingStart', {
      stream: stream.info(),
      fileTemplate: overrides.fileTemplate ?? this.config.fileTemplate,
      ...(overrides.rotation === undefined ? {} : { rotation: overrides.rotation }),
      ...(overrides.multiStream === true ? { multiStream: true } : {}),
      record: true,
      origin,
    });
    if (!settings.record) {
      this.log.info(
        { stream: stream.name },
        `recording of "${stream.name}" skipped: ${settings.skipReason ?? 'by a plugin'}`,
      );
      return undefined;
    }
    const container = this.containerFor(stream);
    const writer = this.writers.get(container);
    if (writer === undefined) {
      this.log.error(
        { stream: stream.name },
        `cannot record "${stream.name}": no ${container} writer is enabled (enable writer-${container} in plugins.json)`,
      );
      return undefined;
    }
    const recording = new Recording({
      stream,
      writer,
      transcoders: this.transcoders,
      policies: this.policies,
      audioBufferMaxSize: this.config.recordAudioBufferMaxSize,
      settings,
      naming: {
        template: settings.fileTemplate,
        encoding: this.config.encodeRecordName,
        excludeCharacters: this.config.excludeRecordNameCharacters,
      },
      recordDir: this.recordDir,
      tmpDir: this.tmpDir,
      deps: this.finalizeDeps(),
      onError: this.onError,
      onFile: (file) => this.track(this.announce(file)),
    });
    this.recordings.set(stream.mediaSessionId, recording);
    const done = recording.finished.then(() => {
      if (this.recordings.get(stream.mediaSessionId) === recording)
        this.recordings.delete(stream.mediaSessionId);
    });
    this.track(done);
    return recording;
  }

  /**
   * record_formats (and record_h264_to_ts) pick the container by the video codec; audio-only
   * streams always go to MP4 (with AAC, transcoded when the source is not).
   */
  private containerFor(stream: Stream): string {
    const video = stream.tracks.find((t) => t.kind === 'video');
    if (video === undefined) return 'mp4';
    if (video.codec === 'h264' && this.config.recordH264ToTs) return 'ts';
    const format = this.config.recordFormats.find((f) => f.startsWith(`${video.codec}-`));
    return format?.split('-')[1] ?? (video.codec === 'h264' ? 'mp4' : 'webm');
  }

  /** segmentClosed, then recordingFinished (hook scripts, callbacks): run in the background. */
  private async announce(file: RecordedFile): Promise<void> {
    this.remember(file);
    await this.hooks.call('segmentClosed', file);
    await this.hooks.call('recordingFinished', file);
  }

  private remember(file: RecordedFile): void {
    const files = this.filesBySession.get(file.mediaSessionId) ?? [];
    files.push(file);
    this.filesBySession.set(file.mediaSessionId, files);
    if (this.filesBySession.size > REMEMBERED_SESSIONS) {
      this.filesBySession.delete(this.filesBySession.keys().next().value!);
    }
  }

  private statusOf(recording: Recording): RecordingStatus {
    const stream = this.bus.get(recording.mediaSessionId);
    return {
      recordingId: recording.id,
      mediaSessionId: recording.mediaSessionId,
      streamName: stream?.name ?? '',
      fileName: recording.fileName,
      state: recording.status,
    };
  }

  private finalizeDeps() {
    if (this.pool === undefined) throw new Error('recorder not started');
    return { pool: this.pool, hooks: this.hooks, log: this.log };
  }

  private track(work: Promise<unknown>): void {
    const guarded = work.catch((error: unknown) => this.onError('background', error));
    this.background.add(guarded);
    void guarded.finally(() => this.background.delete(guarded));
  }
}
