/**
 * Puts the RTP timestamps of a publisher's tracks on one timeline. Each track's RTP clock starts
 * at a random value; RTCP sender reports tie each to the sender's wall clock (NTP), which is what
 * lines audio up with video. A track's frame times stay its own RTP time minus a fixed offset,
 * so audio keeps sample-exact durations; the offset moves only when a later sender report shows
 * the track has drifted more than `reanchorSeconds` from the others (audio and video clocks of a
 * capture device run at slightly different rates).
 */

const TWO_32 = 2 ** 32;

/** `timestamp` (32-bit) as the continuous value nearest to `reference`. */
export function unwrapNear(timestamp: number, reference: number): number {
  let diff = (timestamp - (reference % TWO_32) + TWO_32) % TWO_32;
  if (diff >= TWO_32 / 2) diff -= TWO_32;
  return reference + diff;
}

export interface SenderReport {
  /** Sender wall clock, seconds (any epoch; only differences matter). */
  readonly ntpSeconds: number;
  /** The RTP timestamp (32-bit) of that instant. */
  readonly rtpTimestamp: number;
}

interface TrackClock {
  readonly clockRate: number;
  /** Last unwrapped timestamp seen; undefined before the first packet. */
  last?: number;
  /** Latest sender report, with its timestamp unwrapped. */
  report?: { ntpSeconds: number; rtp: number };
  /** Unwrapped RTP time of stream time 0; undefined until the track's timeline is fixed. */
  offset?: number;
}

export interface MediaClockOptions {
  readonly reanchorSeconds: number;
}

export class MediaClock {
  private readonly tracks = new Map<number, TrackClock>();
  /** Sender wall-clock seconds of stream time 0, once fixed. */
  private originNtp: number | undefined;
  /** Receiver wall clock minus sender wall clock (seconds), from the latest report: for tracks without one. */
  private arrivalMinusNtp: number | undefined;
  reanchors = 0;

  constructor(
    clockRates: ReadonlyMap<number, number>,
    private readonly options: MediaClockOptions = { reanchorSeconds: 0.04 },
  ) {
    for (const [trackId, clockRate] of clockRates) this.tracks.set(trackId, { clockRate });
  }

  /** True once every track has had a sender report: the timeline can be fixed without guessing. */
  get synchronized(): boolean {
    return [...this.tracks.values()].every((track) => track.report !== undefined);
  }

  get started(): boolean {
    return this.originNtp !== undefined;
  }

  /** Unwraps a packet's timestamp; call for every frame in arrival order. */
  unwrap(trackId: number, timestamp: number): number {
    const track = this.track(trackId);
    const value = track.last === undefined ? timestamp : unwrapNear(timestamp, track.last);
    track.last = value;
    return value;
  }

  onSenderReport(trackId: number, report: SenderReport, arrivalMs: number): void {
    const track = this.track(trackId);
    const rtp = unwrapNear(report.rtpTimestamp, track.last ?? report.rtpTimestamp);
    track.report = { ntpSeconds: report.ntpSeconds, rtp };
    this.arrivalMinusNtp = arrivalMs / 1000 - report.ntpSeconds;
    if (track.offset === undefined || this.originNtp === undefined) return;
    const fromReport = this.offsetFromReport(track);
    if (Math.abs(fromReport - track.offset) > this.options.reanchorSeconds * track.clockRate) {
      track.offset = fromReport;
      this.reanchors++;
    }
  }

  /**
   * Fixes stream time 0 at the earliest of the given first frames (unwrapped timestamp and
   * arrival time per track), mapped to the sender's clock by its report, or by arrival time
   * when it has none.
   */
  start(firstFrames: ReadonlyMap<number, { rtp: number; arrivalMs: number }>): void {
    if (this.originNtp !== undefined) return;
    let origin = Infinity;
    for (const [trackId, first] of firstFrames) {
      origin = Math.min(origin, this.senderSeconds(this.track(trackId), first.rtp, first.arrivalMs));
    }
    this.originNtp = Number.isFinite(origin) ? origin : 0;
    for (const [trackId, first] of firstFrames)
      this.fixOffset(this.track(trackId), first.rtp, first.arrivalMs);
  }

  /** Stream time of an unwrapped timestamp in the track's clock; fixes a late track's offset on its first frame. */
  toStreamTime(trackId: number, rtp: number, arrivalMs: number): number {
    const track = this.track(trackId);
    if (this.originNtp === undefined) throw new Error('MediaClock.start() has not been called');
    if (track.offset === undefined) this.fixOffset(track, rtp, arrivalMs);
    return rtp - track.offset!;
  }

  private fixOffset(track: TrackClock, rtp: number, arrivalMs: number): void {
    track.offset =
      track.report === undefined
        ? rtp - Math.round((this.senderSeconds(track, rtp, arrivalMs) - this.originNtp!) * track.clockRate)
        : this.offsetFromReport(track);
  }

  private offsetFromReport(track: TrackClock): number {
    const { ntpSeconds, rtp } = track.report!;
    return rtp - Math.round((ntpSeconds - this.originNtp!) * track.clockRate);
  }

  /** Sender wall-clock time of a timestamp: from the track's report, else from its arrival. */
  private senderSeconds(track: TrackClock, rtp: number, arrivalMs: number): number {
    if (track.report !== undefined)
      return track.report.ntpSeconds + (rtp - track.report.rtp) / track.clockRate;
    return arrivalMs / 1000 - (this.arrivalMinusNtp ?? 0);
  }

  private track(trackId: number): TrackClock {
    const track = this.tracks.get(trackId);
    if (track === undefined) throw new Error(`MediaClock: unknown track ${trackId}`);
    return track;
  }
}
