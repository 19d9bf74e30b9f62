import type { Frame, Track } from '../../core/index.js';

/**
 * Moves a recording's frames onto a timeline whose 0 is the presentation time of its first frame
 * (a keyframe), in each track's own timescale, and keeps what the file-name template needs: the
 * stream timestamps of the first and last frame. With B-frames the first keyframe is presented
 * after its decode time (RTMP: dts 0, pts 67 ms), so basing on pts makes audio and video start
 * together; decode times before 0 are fine, writers take presentation times. Frames of another
 * track presented before the first frame, and frames whose decode time goes backwards, are
 * dropped (and counted).
 */
export class Timeline {
  /** Start of the recording in seconds of stream time. */
  private baseSeconds: number | undefined;
  private readonly lastDts = new Map<number, number>();
  private firstMs: number | undefined;
  private lastMs: number | undefined;
  droppedEarly = 0;
  droppedBackwards = 0;

  get started(): boolean {
    return this.baseSeconds !== undefined;
  }

  /** Stream time (ms) of the first frame: {startTime}. */
  get startTimeMs(): number | undefined {
    return this.firstMs;
  }

  /** Stream time (ms) of the last frame: {endTime}. */
  get endTimeMs(): number | undefined {
    return this.lastMs;
  }

  rebase(frame: Frame, track: Track): Frame | undefined {
    this.baseSeconds ??= frame.pts / track.timescale;
    const base = Math.round(this.baseSeconds * track.timescale);
    const dts = frame.dts - base;
    const pts = frame.pts - base;
    if (pts < 0 && this.lastDts.get(track.id) === undefined) {
      this.droppedEarly++;
      return undefined;
    }
    const previous = this.lastDts.get(track.id);
    if (previous !== undefined && dts < previous) {
      this.droppedBackwards++;
      return undefined;
    }
    this.lastDts.set(track.id, dts);
    // {startTime}/{endTime}: presentation times, so B-frame reordering never makes them negative.
    const ms = (frame.pts / track.timescale) * 1000;
    this.firstMs ??= this.baseSeconds * 1000;
    this.lastMs = Math.max(this.lastMs ?? ms, ms);
    return { ...frame, dts, pts };
  }
}
