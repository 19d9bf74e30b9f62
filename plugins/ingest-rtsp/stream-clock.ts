import { TimestampUnwrapper } from '../../lib/rtp/rtp.js';

/**
 * Where the tracks' common time comes from, best first: RTCP sender reports (each track's RTP time
 * against the camera's wall clock, RFC 3550 §6.4.1), the PLAY reply's RTP-Info (every track's RTP
 * time at the same instant), or the arrival time of each track's first frame.
 */
export type SyncSource = 'rtcp' | 'rtp-info' | 'arrival';

interface Anchor {
  /** Seconds on the common clock … */
  readonly seconds: number;
  /** … at this RTP timestamp (raw 32-bit; extended when used). */
  readonly rtp: number;
}

/**
 * Maps each track's RTP timestamps onto one stream timeline, in the track's own clock units:
 * `streamTime = extendedRtp + offset`. Offsets are integers, so audio steps stay exact (1024). The
 * timeline's 0 is the earliest first frame. Once locked, offsets do not move, except once: when a
 * fallback source was used and sender reports for every track arrive later, the other tracks are
 * realigned to the first one.
 */
export class StreamClock {
  private readonly unwrappers: TimestampUnwrapper[];
  private readonly reports: Array<Anchor | undefined>;
  private readonly firstFrames: Array<Anchor | undefined>;
  private offsets: Array<number | undefined> | undefined;
  private originSeconds = 0;
  private lockedSource: SyncSource | undefined;
  /** RTP-Info rtptime per track, from the PLAY reply. */
  private rtpInfo: ReadonlyArray<number | undefined> = [];

  constructor(private readonly clockRates: readonly number[]) {
    this.unwrappers = clockRates.map(() => new TimestampUnwrapper());
    this.reports = clockRates.map(() => undefined);
    this.firstFrames = clockRates.map(() => undefined);
  }

  get source(): SyncSource | undefined {
    return this.lockedSource;
  }

  /** Every track has had a sender report: the best sync is available. */
  get reportsComplete(): boolean {
    return this.reports.every((report) => report !== undefined);
  }

  /** The PLAY reply's RTP-Info rtptime per track (undefined where the camera gave none). */
  setRtpInfo(rtptimes: ReadonlyArray<number | undefined>): void {
    this.rtpInfo = rtptimes;
  }

  /** Extends a frame's timestamp (call in arrival order) and remembers the first one's arrival. */
  unwrap(track: number, rtp: number, arrivalMs: number): number {
    const extended = this.unwrappers[track]!.unwrap(rtp);
    if (this.firstFrames[track] === undefined) {
      this.firstFrames[track] = { seconds: arrivalMs / 1000, rtp };
      if (this.offsets !== undefined && this.offsets[track] === undefined) {
        this.offsets[track] = this.offsetFor(track, this.firstFrames[track]); // arrival mode, late track
      }
    }
    return extended;
  }

  /**
   * A sender report for a track. Returns the realignment (ms per track) when it completed the
   * reports after the clock was locked on a fallback source; undefined otherwise.
   */
  onSenderReport(track: number, ntpSeconds: number, rtp: number): number[] | undefined {
    if (track < 0 || track >= this.reports.length) return undefined;
    const complete = this.reportsComplete;
    this.reports[track] ??= { seconds: ntpSeconds, rtp };
    if (complete || !this.reportsComplete || this.offsets === undefined || this.lockedSource === 'rtcp') {
      return undefined;
    }
    return this.realignToReports();
  }

  /** Fixes the offsets from the best source available now. */
  lock(): SyncSource {
    const source: SyncSource = this.reportsComplete
      ? 'rtcp'
      : this.rtpInfo.length === this.clockRates.length && this.rtpInfo.every((t) => t !== undefined)
        ? 'rtp-info'
        : 'arrival';
    const anchors = this.anchors(source);
    const starts = this.firstFrames
      .map((first, track) =>
        first === undefined || anchors[track] === undefined
          ? undefined
          : this.secondsAt(track, anchors[track], first.rtp),
      )
      .filter((seconds) => seconds !== undefined);
    this.originSeconds = starts.length === 0 ? 0 : Math.min(...starts);
    this.offsets = anchors.map((anchor, track) =>
      anchor === undefined ? undefined : this.offsetFor(track, anchor),
    );
    this.lockedSource = source;
    return source;
  }

  /** A frame's time on the stream timeline, in its track's clock units; undefined before lock. */
  streamTime(track: number, extendedRtp: number): number | undefined {
    const offset = this.offsets?.[track];
    return offset === undefined ? undefined : extendedRtp + offset;
  }

  private anchors(source: SyncSource): Array<Anchor | undefined> {
    if (source === 'rtcp') return [...this.reports];
    if (source === 'rtp-info') return this.rtpInfo.map((rtp) => ({ seconds: 0, rtp: rtp! }));
    return [...this.firstFrames];
  }

  private secondsAt(track: number, anchor: Anchor, rtp: number): number {
    const unwrapper = this.unwrappers[track]!;
    return anchor.seconds + (unwrapper.extend(rtp) - unwrapper.extend(anchor.rtp)) / this.clockRates[track]!;
  }

  private offsetFor(track: number, anchor: Anchor): number {
    const rate = this.clockRates[track]!;
    return (
      Math.round((anchor.seconds - this.originSeconds) * rate) - this.unwrappers[track]!.extend(anchor.rtp)
    );
  }

  /** Keeps track 0 where it is and moves the others to where the sender reports put them. */
  private realignToReports(): number[] {
    const offsets = this.offsets!;
    const reports = this.reports as Anchor[];
    const rate0 = this.clockRates[0]!;
    const reportOffset = (track: number) =>
      reports[track]!.seconds * this.clockRates[track]! - this.unwrappers[track]!.extend(reports[track]!.rtp);
    // Track 0 on the report clock minus track 0 on the locked clock, in seconds.
    const shiftSeconds = ((offsets[0] ?? reportOffset(0)) - reportOffset(0)) / rate0;
    const corrections = this.clockRates.map((rate, track) => {
      if (track === 0) return 0;
      const next = Math.round(reportOffset(track) + shiftSeconds * rate);
      const before = offsets[track];
      offsets[track] = next;
      return before === undefined ? 0 : ((next - before) * 1000) / rate;
    });
    this.lockedSource = 'rtcp';
    return corrections;
  }
}
