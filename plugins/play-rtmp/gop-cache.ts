/**
 * The last GOP of a stream (its last video keyframe and every frame since), so that a new RTMP
 * player starts at once instead of waiting for the publisher's next keyframe: RTMP publishers and
 * cameras cannot be asked for one, and send one every 1-10 s. Measured with ffmpeg 5.1 as a late
 * player of an RTMP publish with a 2 s GOP (test/rtmp-play.test.ts, 4 joins each): first picture
 * 1.0-1.5 s after connecting with the cache, 3.0-3.5 s without; by hand, 6 joins each: 0.27-1.6 s
 * and 1.6-3.7 s. ffmpeg probes about a second of media before its first picture either way; the
 * cache saves the wait for the keyframe (up to one GOP) and gives the probe a burst of frames.
 *
 * A cache subscribes when the stream is published (not when a player comes: the first player would
 * then find it empty), only for sources configured in `gopCacheSources`. Streams a provider pulls on
 * demand are held by their subscribers, so a cache on them would keep them pulled; WebRTC
 * publishers answer a keyframe request within ~40 ms and need none. Memory: the frames of one GOP,
 * at most `gopCacheMaxBytes`; a longer GOP empties the cache until the next keyframe.
 *
 * The frames are the bus's own (shared, immutable): a cache holds references, no copies.
 */
import type { Frame, Logger, Stream, Subscription, Track } from '../../core/index.js';

export class GopCache {
  private frames: Frame[] = [];
  private bytes = 0;
  /** frames[0] is a keyframe of the current video config, and no frame since was dropped. */
  private complete = false;
  private videoConfig: Uint8Array | undefined;
  private readonly subscription: Subscription;
  readonly done: Promise<void>;

  constructor(
    readonly stream: Stream,
    private readonly options: { readonly maxBytes: number; readonly name: string; readonly log: Logger },
  ) {
    this.subscription = stream.subscribe({ name: `${options.name} GOP cache`, role: 'player' });
    this.done = this.run();
  }

  /**
   * A copy of the GOP to start a player with, or undefined when there is none to give. Gapless only
   * when taken in the same tick as the player's own subscription, and only when this cache's queue
   * is empty: its loop drains in microtasks, so between two tasks it is (else, the player waits for
   * a keyframe like one without a cache).
   */
  snapshot(): readonly Frame[] | undefined {
    if (!this.complete || this.frames.length === 0 || this.subscription.queuedFrameCount > 0)
      return undefined;
    return [...this.frames];
  }

  close(): void {
    this.subscription.close();
    this.reset(false);
  }

  private async run(): Promise<void> {
    for await (const event of this.subscription) {
      if (event.type === 'track') this.onTrack(event.track);
      else if (event.type === 'frame') this.onFrame(event.frame);
    }
    this.reset(false);
  }

  private onTrack(track: Track): void {
    if (track.kind !== 'video') return;
    // frames after a new sequence header need it: an older GOP would not decode with it
    if (this.videoConfig !== undefined && !sameBytes(this.videoConfig, track.config)) this.reset(false);
    this.videoConfig = track.config;
  }

  private onFrame(frame: Frame): void {
    const track = this.stream.tracks.find((candidate) => candidate.id === frame.trackId);
    if (track?.kind === 'video' && frame.keyframe) this.reset(true);
    else if (!this.complete) return;
    this.frames.push(frame);
    this.bytes += frame.data.byteLength;
    if (this.bytes > this.options.maxBytes) {
      this.options.log.debug(
        { stream: this.stream.name, bytes: this.bytes },
        `GOP of "${this.stream.name}" is over ${this.options.maxBytes} bytes; not cached until the next keyframe`,
      );
      this.reset(false);
    }
  }

  private reset(complete: boolean): void {
    this.frames = [];
    this.bytes = 0;
    this.complete = complete;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((byte, i) => byte === b[i]);
}
