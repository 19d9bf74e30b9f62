/**
 * Timekeeping of a transcoder. The input clock counts the samples fed to ffmpeg against the input
 * frames' pts and says how much audio is missing (DTX, packet loss, a muted publisher); the output
 * clock stamps converted frames by the samples they hold, starting at the first input pts.
 */

/** Where the samples fed to ffmpeg stand against the input timeline. */
export class InputClock {
  /** pts (input timescale) at which the next input sample belongs, fractional. */
  private next: number | undefined;

  constructor(
    private readonly timescale: number,
    /** Samples per second of the codec's clock (Opus: 48000 whatever the timescale). */
    private readonly sampleRate: number,
  ) {}

  /**
   * Samples missing before a frame at `pts`. Small differences (timestamp jitter, a lost packet) are
   * not worth filling: they stay on the clock and are filled once they add up to `minimumSamples`.
   * A jump back by over a second (a new timeline) restarts the clock.
   */
  missingBefore(pts: number, minimumSamples: number): number {
    if (this.next === undefined || this.next - pts > this.timescale) {
      this.next = pts;
      return 0;
    }
    const missing = Math.floor(((pts - this.next) * this.sampleRate) / this.timescale);
    return missing >= minimumSamples ? missing : 0;
  }

  /** `samples` were fed (a frame or silence) or skipped over. */
  advance(samples: number): void {
    if (this.next !== undefined) this.next += (samples * this.timescale) / this.sampleRate;
  }
}

/** Stamps output frames: continuous from the first input pts, shifted where input gaps were not filled. */
export class OutputClock {
  private produced = 0;
  private shift = 0;
  private readonly shifts: { atSample: number; samples: number }[] = [];

  /** `start`: the first input frame's pts in the output timescale. */
  constructor(private readonly start: number) {}

  /** From output sample `atSample` on, frames are `samples` later (a gap the input could not fill). */
  shiftAt(atSample: number, samples: number): void {
    this.shifts.push({ atSample, samples });
  }

  /** The pts of the next output frame, which holds `samples` samples. */
  stamp(samples: number): number {
    while (this.shifts.length > 0 && this.shifts[0]!.atSample <= this.produced) {
      this.shift += this.shifts.shift()!.samples;
    }
    const pts = this.start + this.produced + this.shift;
    this.produced += samples;
    return pts;
  }
}
