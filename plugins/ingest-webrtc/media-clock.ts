/**
 * Puts the RTP timestamps of a publisher's tracks on one timeline. Each track's RTP clock starts
 * at a random value; RTCP sender reports tie each to the sender's wall clock (NTP), which is what
 * lines audio up with video. A track's frame times stay its own RTP time minus a fixed offset,
 * so audio keeps sample-exact durations; the offset moves only when a later sender report shows
 * the track has drifted more than `reanchorSeconds` from the others (audio and video clocks of a
 * capture device run at slightly different rates).
 */

const TWO_32 = 2 ** 32;
/** Sender reports per track whose earliest wall-clock mapping is used (about 5-40 s of reports). */
const REPORT_WINDOW = 8;
/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_TO_UNIX_SECONDS = 2_208_988_800;

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
  /** Latest sender report, with its timestamp unwrapped, and its wall clock the earliest of `recent`. */
  report?: { ntpSeconds: number; rtp: number };
  /** Sender wall-clock seconds of RTP time 0 by each of the last REPORT_WINDOW reports. */
  readonly recent: number[];
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
  /** The publisher's wall clock (Unix ms) at stream time 0, when start() could tell it. */
  private originUnix: number | undefined;
  /** True while originNtp is in this server's clock (fixed before any sender report arrived). */
  private originOnArrivalClock = false;
  /** Receiver wall clock minus sender wall clock (seconds), from the latest report: for tracks without one. */
  private arrivalMinusNtp: number | undefined;
  reanchors = 0;

  constructor(
    clockRates: ReadonlyMap<number, number>,
    private readonly options: MediaClockOptions = { reanchorSeconds: 0.04 },
  ) {
    for (const [trackId, clockRate] of clockRates) this.tracks.set(trackId, { clockRate, recent: [] });
  }

  /** True once every track has had a sender report: the timeline can be fixed without guessing. */
  get synchronized(): boolean {
    return [...this.tracks.values()].every((track) => track.report !== undefined);
  }

  get started(): boolean {
    return this.originNtp !== undefined;
  }

  /**
   * The publisher's own wall clock at stream time 0, in Unix ms, once started: its NTP time
   * (seconds since 1900) from the sender reports, or, before any report, the arrival time of the
   * first frame on this server's clock. Undefined before start(), without frames, or when the
   * sender's NTP clock is not a date (some senders count from their boot).
   */
  get originUnixMs(): number | undefined {
    return this.originUnix;
  }

  /** Unwraps a packet's timestamp; call for every frame in arrival order. */
  unwrap(trackId: number, timestamp: number): number {
    const track = this.track(trackId);
    const value = track.last === undefined ? timestamp : unwrapNear(timestamp, track.last);
    track.last = value;
    return value;
  }

  /** Takes a track's sender report; returns how far (seconds) it moved the track's timeline, if it did. */
  onSenderReport(trackId: number, report: SenderReport, arrivalMs: number): number | undefined {
    const track = this.track(trackId);
    const rtp = unwrapNear(report.rtpTimestamp, track.last ?? report.rtpTimestamp);
    // A report ties an RTP time to the wall-clock time the sender *sent* it at, which is later than
    // the media's time when the sender's pacer holds packets back (a keyframe burst takes 100-200 ms
    // at a few Mbps; werift stamps reports with the last packet's send time). Lateness only ever
    // adds, so the earliest mapping of the last few reports is the truest; clock drift between
    // tracks is far slower than the window.
    track.recent.push(report.ntpSeconds - rtp / track.clockRate);
    if (track.recent.length > REPORT_WINDOW) track.recent.shift();
    track.report = { ntpSeconds: Math.min(...track.recent) + rtp / track.clockRate, rtp };
    this.arrivalMinusNtp = arrivalMs / 1000 - report.ntpSeconds;
    if (this.originOnArrivalClock && this.originNtp !== undefined) {
      // The timeline was fixed before any report, on this server's clock: move its origin onto the
      // sender's clock with this first report, so report-based offsets compare with arrival-based
      // ones (otherwise they differ by the clocks' epochs: 70 years for NTP vs Unix time).
      this.originNtp -= this.arrivalMinusNtp;
      this.originOnArrivalClock = false;
    }
    if (track.offset === undefined || this.originNtp === undefined) return undefined;
    const fromReport = this.offsetFromReport(track);
    const moved = fromReport - track.offset;
    if (Math.abs(moved) <= this.options.reanchorSeconds * track.clockRate) return undefined;
    track.offset = fromReport;
    this.reanchors++;
    // A smaller offset puts the track's frames later on the timeline.
    return -moved / track.clockRate;
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
    this.originOnArrivalClock = this.arrivalMinusNtp === undefined;
    // senderSeconds() is NTP time once a report has tied the sender's clock to ours, else arrival time.
    const unixSeconds = this.arrivalMinusNtp === undefined ? origin : origin - NTP_TO_UNIX_SECONDS;
    this.originUnix = Number.isFinite(unixSeconds) && unixSeconds > 0 ? unixSeconds * 1000 : undefined;
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
