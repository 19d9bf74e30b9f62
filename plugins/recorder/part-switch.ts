import type { Frame, Logger, Track } from '../../core/index.js';
import type { RecordingEndReason } from './api.js';
import type { RecordingPart } from './recording-part.js';

/** How long a closed part waits for audio presented before the split (late packets, transcoders). */
export const DRAIN_TIMEOUT_MS = 3000;

export interface PartSwitchOptions {
  /** record_audio_buffer_max_size */
  readonly audioBufferMaxSize: number;
  readonly trackOf: (trackId: number) => Track | undefined;
  /** Finalizes a part in the background. */
  readonly closePart: (part: RecordingPart, reason: RecordingEndReason) => Promise<void>;
  readonly log: Logger;
}

interface Draining {
  readonly part: RecordingPart;
  /** Audio tracks that have not yet delivered a frame at or after the split. */
  readonly waitingFor: Set<number>;
  readonly timer: NodeJS.Timeout;
}

/**
 * The parts of one recording and the frames between them. Writes are serialized. At a split the
 * new part starts at the keyframe; audio presented before it still goes to the old part, which closes
 * once every audio track has passed the split (or after DRAIN_TIMEOUT_MS), so no audio is lost or
 * duplicated between parts. Audio held while a split waits for its keyframe is bounded.
 */
export class PartSwitch {
  current: RecordingPart | undefined;
  private draining: Draining | undefined;
  private pendingSplit = false;
  private held: Frame[] = [];
  private writes: Promise<void> = Promise.resolve();
  private readonly closing = new Set<Promise<void>>();

  constructor(private readonly options: PartSwitchOptions) {}

  get splitPending(): boolean {
    return this.pendingSplit;
  }

  requestSplit(): void {
    this.pendingSplit = true;
  }

  /** Audio frames held now: never more than record_audio_buffer_max_size. */
  get heldFrames(): number {
    return this.held.length;
  }

  /** Holds an audio frame; returns the oldest one when the buffer is full (the caller writes it). */
  hold(frame: Frame): Frame | undefined {
    this.held.push(frame);
    return this.held.length > this.options.audioBufferMaxSize ? this.held.shift() : undefined;
  }

  releaseHeld(): Frame[] {
    const frames = this.held;
    this.held = [];
    return frames;
  }

  async begin(part: RecordingPart): Promise<void> {
    await part.open();
    this.current = part;
  }

  /** Opens the next part; the current one drains and closes with reason 'rotation'. */
  async switchTo(part: RecordingPart): Promise<void> {
    this.pendingSplit = false;
    await part.open();
    const old = this.current;
    this.current = part;
    if (old === undefined) return;
    await this.writes;
    this.closeDraining();
    const audio = old.trackIds.filter((id) => this.options.trackOf(id)?.kind === 'audio');
    if (audio.length === 0) {
      this.close(old, 'rotation');
      return;
    }
    this.draining = {
      part: old,
      waitingFor: new Set(audio),
      timer: setTimeout(() => this.closeDraining(), DRAIN_TIMEOUT_MS),
    };
  }

  /** Writes a frame (recording timeline) to the part its time belongs to; rejects on a write error. */
  write(frame: Frame): Promise<void> {
    const result = this.writes.then(() => this.target(frame)?.write(frame));
    this.writes = result.catch(() => undefined);
    return result;
  }

  /** Flushes the writes and closes every part; resolves when all are finalized (or failed). */
  async end(reason: RecordingEndReason): Promise<void> {
    await this.writes;
    this.closeDraining();
    if (this.current !== undefined) this.close(this.current, reason);
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }

  private target(frame: Frame): RecordingPart | undefined {
    const track = this.options.trackOf(frame.trackId);
    const current = this.current;
    if (track === undefined || current === undefined) return undefined;
    const timeS = frame.pts / track.timescale;
    const draining = this.draining;
    if (draining !== undefined && track.kind === 'audio') {
      if (timeS < current.baseS) return draining.part;
      draining.waitingFor.delete(track.id);
      if (draining.waitingFor.size === 0) this.closeDraining();
    }
    return current;
  }

  private closeDraining(): void {
    const draining = this.draining;
    if (draining === undefined) return;
    this.draining = undefined;
    clearTimeout(draining.timer);
    this.close(draining.part, 'rotation');
  }

  private close(part: RecordingPart, reason: RecordingEndReason): void {
    // After the writes queued so far, so every frame of the part is in before it closes.
    const closed = this.writes.then(() => this.options.closePart(part, reason));
    this.closing.add(closed);
    void closed.finally(() => this.closing.delete(closed));
  }
}
