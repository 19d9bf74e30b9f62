/**
 * One transcoded audio track: one ffmpeg process, input frames framed down its stdin, converted frames
 * parsed from its stdout. push() only writes to the pipe (node queues what ffmpeg has not read yet);
 * every failure — ffmpeg missing, exiting, printing an error, stalling, falling behind — becomes one
 * onError call and the process is killed. Nothing here throws into the caller.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { errorMessage, type AudioTrack, type Frame } from '../../core/index.js';
import type { AudioTranscoder, AudioTranscoderOptions } from '../../lib/transcode/audio-transcoder.js';
import { InputClock, OutputClock } from './clocks.js';
import { FfmpegStderr } from './ffmpeg-stderr.js';
import { inputFormatFor, type InputChunk, type InputFormat } from './input-format.js';
import { outputFormatFor, type OutputFormat, type OutputPacket } from './output-format.js';
import type { TranscoderSettings } from './settings.js';

/** Gaps shorter than this (or than one silent frame) stay on the input clock until they add up. */
const MIN_GAP_MS = 20;
/** ffmpeg holds back less than this much input (decoder, resampler, encoder lookahead). */
const MAX_HELD_INPUT_S = 1;

type State = 'running' | 'closing' | 'finished' | 'failed' | 'aborted';

export class FfmpegTranscoder implements AudioTranscoder {
  readonly output: AudioTrack;
  private readonly label: string;
  private readonly format: OutputFormat;
  private readonly stderr: FfmpegStderr;
  private readonly exited: Promise<void>;
  private resolveExited!: () => void;
  private state: State = 'running';
  private child: ChildProcessWithoutNullStreams | undefined;
  private input: InputFormat | undefined;
  private inputClock: InputClock | undefined;
  private outputClock: OutputClock | undefined;
  private packetsToDrop: number;
  private fedSamples = 0;
  private fedAtLastOutput = 0;
  private lastOutputMs = Date.now();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Input not yet written to the pipe (see `inputBatchMs`), its size and duration. */
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  private batchSamples = 0;
  private batchTimer: NodeJS.Timeout | undefined;

  /** `vorbisConfig`: the Vorbis headers made ahead for `settings` (needed for Vorbis output only). */
  constructor(
    private readonly options: AudioTranscoderOptions,
    private readonly settings: TranscoderSettings,
    vorbisConfig?: Uint8Array,
  ) {
    const { input, to, log } = options;
    this.label = `${input.codec} → ${to}`;
    const warn = (message: string): void => log.warn(`${this.label}: ${message}`);
    this.format = outputFormatFor(to, input, settings, warn, vorbisConfig);
    this.output = this.format.track;
    this.packetsToDrop = this.format.leadingPacketsToDrop;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    this.stderr = new FfmpegStderr(
      (line) => log.warn(`ffmpeg (${this.label}): ${line}`),
      (line) => this.fail(`ffmpeg reported an error: ${line}`, false),
    );
    try {
      this.input = inputFormatFor(input);
    } catch (error) {
      this.fail(`cannot feed ${input.codec} to ffmpeg: ${errorMessage(error)}`);
      this.resolveExited();
      return;
    }
    this.start(this.input);
  }

  /** The ffmpeg process id (undefined when it could not start). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Input bytes not yet read by ffmpeg (batched here or queued in the pipe). */
  get queuedBytes(): number {
    return this.batchBytes + (this.child?.stdin.writableLength ?? 0);
  }

  push(frame: Frame): void {
    const input = this.input;
    if (this.state !== 'running' || input === undefined) return;
    try {
      if (this.inputClock === undefined) this.begin(input, frame.pts);
      const minimumGap = Math.max(input.silenceFrameSamples, (input.sampleRate * MIN_GAP_MS) / 1000);
      const missing = this.inputClock!.missingBefore(frame.pts, minimumGap);
      if (missing > 0) this.fillGap(input, missing);
      this.write(input.frame(frame.data));
    } catch (error) {
      this.fail(`cannot feed ffmpeg: ${errorMessage(error)}`);
    }
  }

  async close(): Promise<void> {
    if (this.state === 'running' && this.child !== undefined) {
      this.state = 'closing';
      this.restorePriority();
      this.flushBatch();
      this.child.stdin.end();
      const { closeTimeoutMs } = this.settings;
      this.schedule(closeTimeoutMs, () =>
        this.fail(`ffmpeg did not finish within ${closeTimeoutMs} ms after its input ended`),
      );
    }
    await this.exited;
  }

  abort(): void {
    if (this.state !== 'running' && this.state !== 'closing') return;
    this.state = 'aborted';
    this.stop();
    this.options.log.info(`ffmpeg (${this.label}) aborted`);
  }

  private start(input: InputFormat): void {
    const args = [
      ...['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+warning'],
      // Start decoding after the first packet instead of probing ahead. Not `-fflags +nobuffer`: it
      // drops the packets read while probing (the audio came out one packet early and short).
      ...['-probesize', '32', '-analyzeduration', '0'],
      ...input.ffmpegArgs,
      ...['-i', 'pipe:0', '-map', '0:a:0'],
      ...this.format.ffmpegArgs,
      ...['-flush_packets', '1', 'pipe:1'],
    ];
    const { log } = this.options;
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(this.settings.ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (error) {
      this.fail(`cannot run ${this.settings.ffmpegPath}: ${errorMessage(error)}`);
      this.resolveExited();
      return;
    }
    this.child = child;
    child.on('error', (error) => {
      this.fail(`cannot run ${this.settings.ffmpegPath}: ${error.message}`);
      this.resolveExited();
    });
    child.on('spawn', () => {
      log.info({ ffmpegPid: child.pid, args }, `ffmpeg started (${this.label})`);
      this.lowerPriority(child.pid);
    });
    child.on('close', (code, signal) => this.onClose(code, signal));
    child.stdout.on('data', (chunk: Buffer) => this.onOutput(chunk));
    child.stderr.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    // EPIPE when ffmpeg is gone: its exit (reported by onClose) says why; this covers one that stays.
    child.stdin.on('error', (error) => {
      if (this.state === 'running' || this.state === 'closing') {
        this.schedule(1000, () => this.fail(`cannot write to ffmpeg: ${error.message}`));
      }
    });
    child.stdout.on('error', (error) => this.fail(`cannot read from ffmpeg: ${error.message}`));
    child.stderr.on('error', () => undefined);
    this.schedule(Math.min(1000, this.settings.stallTimeoutMs / 2), () => this.checkStall(), true);
  }

  private begin(input: InputFormat, firstPts: number): void {
    const { input: track } = this.options;
    this.inputClock = new InputClock(track.timescale, input.sampleRate);
    this.outputClock = new OutputClock(Math.round((firstPts * this.output.timescale) / track.timescale));
    this.write({ bytes: input.header(), samples: 0 });
  }

  /** Silence for a gap in the input; what cannot be filled moves the output clock instead. */
  private fillGap(input: InputFormat, missing: number): void {
    const { log } = this.options;
    const fillable = missing <= (input.sampleRate * this.settings.maxSilenceFillMs) / 1000;
    const silence = fillable ? input.silence(missing) : { bytes: new Uint8Array(0), samples: 0 };
    this.write(silence);
    const ms = (samples: number): number => Math.round((samples * 1000) / input.sampleRate);
    if (silence.samples > 0) log.debug(`${this.label}: ${ms(silence.samples)} ms of silence filled a gap`);
    const unfilled = missing - silence.samples;
    if (unfilled < input.silenceFrameSamples) return;
    const toOutput = (samples: number): number =>
      Math.round((samples * this.output.timescale) / input.sampleRate);
    this.outputClock!.shiftAt(toOutput(this.fedSamples), toOutput(unfilled));
    this.inputClock!.advance(unfilled);
    log.warn(
      `${this.label}: the input skipped ${ms(unfilled)} ms that cannot be filled with silence; ` +
        'the converted audio skips it too',
    );
  }

  /**
   * Input goes down the pipe in batches of `inputBatchMs` of audio: a write per 20 ms Opus packet
   * costs node a syscall and ffmpeg a wake-up each (measured: the pipe writes were ~10 % of Spool's
   * CPU with 10 WebRTC streams recorded to MP4). A timer flushes a batch that is not full in time.
   */
  private write(chunk: InputChunk): void {
    if (chunk.bytes.length > 0) {
      this.batch.push(chunk.bytes);
      this.batchBytes += chunk.bytes.length;
    }
    this.batchSamples += chunk.samples;
    const { inputBatchMs } = this.settings;
    if (this.batchSamples * 1000 >= inputBatchMs * (this.input?.sampleRate ?? 48000)) this.flushBatch();
    else if (this.batchTimer === undefined && this.batchBytes > 0) {
      this.batchTimer = setTimeout(() => this.flushBatch(), inputBatchMs).unref();
    }
    this.fedSamples += chunk.samples;
    this.inputClock?.advance(chunk.samples);
    const limit = this.settings.queueLimitBytes;
    if (this.queuedBytes > limit) {
      this.fail(`ffmpeg is not keeping up: over ${Math.round(limit / 1024)} KB of input waiting for it`);
    }
  }

  private flushBatch(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const child = this.child;
    if (this.batchBytes > 0 && child !== undefined && !child.stdin.destroyed) {
      child.stdin.write(
        this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batchBytes),
      );
    }
    this.batch = [];
    this.batchBytes = 0;
    this.batchSamples = 0;
  }

  private onOutput(chunk: Buffer): void {
    if (this.state !== 'running' && this.state !== 'closing') return;
    this.lastOutputMs = Date.now();
    this.fedAtLastOutput = this.fedSamples;
    let packets: OutputPacket[];
    try {
      packets = this.format.parse(chunk);
    } catch (error) {
      this.fail(`cannot read ffmpeg's output: ${errorMessage(error)}`);
      return;
    }
    for (const packet of packets) {
      if (this.packetsToDrop > 0) {
        this.packetsToDrop--;
        continue;
      }
      const pts = (this.outputClock ??= new OutputClock(0)).stamp(packet.samples) - (packet.leadIn ?? 0);
      try {
        this.options.onFrame({
          ...{ trackId: this.output.id, data: packet.data, pts, dts: pts },
          ...{ keyframe: true, arrivalMs: this.lastOutputMs },
        });
      } catch (error) {
        this.fail(`converted audio could not be passed on: ${errorMessage(error)}`);
      }
      if ((this.state as State) !== 'running' && this.state !== 'closing') return; // failed or aborted meanwhile
    }
  }

  private checkStall(): void {
    const heldS = (this.fedSamples - this.fedAtLastOutput) / (this.input?.sampleRate ?? 1);
    const silentMs = Date.now() - this.lastOutputMs;
    if (heldS > MAX_HELD_INPUT_S && silentMs > this.settings.stallTimeoutMs) {
      this.fail(
        `ffmpeg stalled: no output for ${Math.round(silentMs / 1000)} s while ${heldS.toFixed(1)} s of input waited`,
      );
    }
  }

  private onClose(code: number | null, signal: NodeJS.Signals | null): void {
    this.stderr.end();
    const { log } = this.options;
    const how = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
    if (this.state === 'closing' && code === 0) {
      this.state = 'finished';
      this.stop();
      const pending = this.format.pendingBytes;
      if (pending > 0)
        log.warn(`${this.label}: ffmpeg's output ended inside a packet (${pending} bytes dropped)`);
      log.info({ ffmpegPid: this.child?.pid }, `ffmpeg (${this.label}) finished`);
    } else if (this.state === 'running' || this.state === 'closing') {
      this.fail(
        this.state === 'running' && code === 0 ? 'ffmpeg exited before its input ended' : `ffmpeg ${how}`,
      );
    } else {
      log.info({ ffmpegPid: this.child?.pid }, `ffmpeg (${this.label}) ${how}`);
    }
    this.resolveExited();
  }

  /** Reports the failure once (asynchronously, so never inside the caller's push), then kills ffmpeg. */
  private fail(reason: string, quoteStderr = true): void {
    if (this.state !== 'running' && this.state !== 'closing') return;
    this.state = 'failed';
    this.stop();
    const said = quoteStderr ? this.stderr.text() : '';
    const error = new Error(
      `${this.label} transcoding: ${reason}${said === '' ? '' : `; ffmpeg said: ${said}`}`,
    );
    this.options.log.error({ ffmpegPid: this.child?.pid, err: error }, error.message);
    queueMicrotask(() => {
      try {
        this.options.onError(error);
      } catch (thrown) {
        this.options.log.error({ err: thrown }, `${this.label}: the onError handler threw`);
      }
    });
  }

  private stop(): void {
    clearTimeout(this.batchTimer);
    this.batch = [];
    this.batchBytes = 0;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const child = this.child;
    if (child === undefined) return;
    // Drop input ffmpeg has not read, and let go of its output: 'close' then follows its exit even
    // when something else (a wrapper script's child) still holds the pipes.
    child.stdin.destroy();
    child.stdout.destroy();
    child.stderr.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /**
   * Ingest is real time and transcoding is not (ffmpeg's input waits in the pipe): when the CPUs are
   * short, ffmpeg (nice `settings.niceness`) yields to Spool. Without it, 25 WebRTC streams recorded to
   * MP4 on 2 cores left Spool's event loop 300 ms late, and werift's ICE consent checks (500 ms to
   * answer) failed until the publishers were dropped.
   */
  private lowerPriority(pid: number | undefined): void {
    if (pid === undefined || this.settings.niceness === 0) return;
    try {
      setPriority(pid, Math.min(19, getPriority(pid) + this.settings.niceness));
    } catch (error) {
      this.options.log.debug({ err: error }, `ffmpeg (${this.label}): cannot lower its priority`);
    }
  }

  /**
   * Finishing is urgent (the recording waits for the last frames): ffmpeg gets Spool's priority back
   * where the system allows it (root or CAP_SYS_NICE; others may only lower a priority).
   */
  private restorePriority(): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.settings.niceness === 0) return;
    try {
      setPriority(pid, getPriority());
    } catch {
      // Not allowed: ffmpeg finishes at its lower priority, within closeTimeoutMs.
    }
  }

  /** A timer cleared when the transcoder stops (once, or repeating), never keeping node alive. */
  private schedule(ms: number, run: () => void, repeat = false): void {
    const timer = repeat ? setInterval(run, ms) : setTimeout(run, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
