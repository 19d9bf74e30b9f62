import { SpoolError } from '../errors.js';
import type { Frame, Track } from '../media.js';
import {
  Subscription,
  type SubscribeOptions,
  type SubscriberRole,
  type SubscriptionHost,
} from './subscription.js';

/** A plain snapshot of a stream's identity, safe to keep after the stream has ended. */
export interface StreamInfo {
  readonly mediaSessionId: string;
  readonly name: string;
  readonly login: string;
  readonly source: string;
  readonly record: boolean;
  readonly query: Readonly<Record<string, string>>;
  readonly publishedAtMillis: number;
  readonly tracks: readonly Track[];
}

export type KeyframeRequestHandler = (request: { requester: string }) => void;

/** What a stream needs from the bus that owns it. */
export interface StreamOwner {
  defaultQueueFrames(role: SubscriberRole): number;
  onSubscribersChanged(delta: number): void;
  countDropped(role: SubscriberRole, frames: number): void;
  /** Frees the stream's name at once, so it can be published again right away. */
  release(stream: Stream): void;
  /** Runs after release: logs and the `unpublished` hook. */
  onEnded(stream: Stream, reason: string): Promise<void>;
  /** A viewer of `protocol` came (+1) or left (-1). */
  onViewersChanged(stream: Stream, protocol: string, delta: number): void;
  /** A keyframe-request handler threw: reported, never thrown into the bus. */
  onKeyframeHandlerError(stream: Stream, error: unknown): void;
}

/**
 * One published stream. The publisher writes frames synchronously; each is fanned out to every
 * subscriber's own bounded queue, so a slow subscriber never holds up the publisher or the others.
 * Frames are immutable once written: subscribers share them and must not modify `data`.
 */
export class Stream implements SubscriptionHost {
  private trackList: Track[];
  private readonly subscriptions = new Set<Subscription>();
  private readonly keyframeHandlers = new Set<KeyframeRequestHandler>();
  private readonly pendingKeyframeRequesters = new Set<string>();
  private readonly viewersByProtocol = new Map<string, number>();
  private endPromise: Promise<void> | undefined;
  private clockOrigin: number | undefined;
  framesWritten = 0;
  bytesWritten = 0;

  constructor(
    private readonly owner: StreamOwner,
    readonly mediaSessionId: string,
    readonly name: string,
    readonly login: string,
    readonly source: string,
    readonly record: boolean,
    readonly query: Readonly<Record<string, string>>,
    tracks: readonly Track[],
    readonly publishedAtMillis = Date.now(),
  ) {
    this.trackList = [...tracks];
  }

  get tracks(): readonly Track[] {
    return this.trackList;
  }

  /**
   * The publisher's own wall clock (Unix ms) at stream time 0, when its protocol carries one (WebRTC:
   * the sender's RTCP NTP time); undefined means stream time starts at 0 (RTMP). Recordings add it
   * to {startTime}/{endTime}. Set once by the ingest, before its first frame; never changed after.
   */
  get clockOriginMs(): number | undefined {
    return this.clockOrigin;
  }

  set clockOriginMs(value: number | undefined) {
    if (value === this.clockOrigin) return;
    if (this.clockOrigin !== undefined || this.framesWritten > 0) {
      throw new SpoolError(
        'SPOOL_ERR_INTERNAL',
        `stream "${this.name}": its clock origin is set once, before its first frame`,
      );
    }
    if (value === undefined || !Number.isFinite(value)) {
      throw new SpoolError(
        'SPOOL_ERR_INTERNAL',
        `stream "${this.name}": clock origin ${value} is not a time`,
      );
    }
    this.clockOrigin = value;
  }

  get ended(): boolean {
    return this.endPromise !== undefined;
  }

  get subscriberCount(): number {
    return this.subscriptions.size;
  }

  info(): StreamInfo {
    return {
      mediaSessionId: this.mediaSessionId,
      name: this.name,
      login: this.login,
      source: this.source,
      record: this.record,
      query: this.query,
      publishedAtMillis: this.publishedAtMillis,
      tracks: this.trackList,
    };
  }

  /** Adds a track or replaces one with the same id (e.g. a new H.264 sequence header). */
  setTrack(track: Track): void {
    const index = this.trackList.findIndex((t) => t.id === track.id);
    this.trackList =
      index === -1 ? [...this.trackList, track] : this.trackList.map((t, i) => (i === index ? track : t));
    for (const subscription of this.subscriptions) subscription.pushTrack(track);
  }

  writeFrame(frame: Frame): void {
    if (this.endPromise !== undefined) {
      throw new SpoolError('SPOOL_ERR_STREAM_ENDED', `stream "${this.name}" has ended`);
    }
    if (!this.trackList.some((t) => t.id === frame.trackId)) {
      throw new SpoolError('SPOOL_ERR_UNKNOWN_TRACK', `stream "${this.name}" has no track ${frame.trackId}`);
    }
    this.framesWritten++;
    this.bytesWritten += frame.data.byteLength;
    for (const subscription of this.subscriptions) subscription.pushFrame(frame);
  }

  subscribe(options: SubscribeOptions): Subscription {
    if (this.endPromise !== undefined) {
      throw new SpoolError('SPOOL_ERR_STREAM_ENDED', `stream "${this.name}" has ended`);
    }
    const startAtKeyframe = options.startAtKeyframe ?? true;
    const subscription = new Subscription(
      this,
      options.name,
      options.role,
      options.maxQueueFrames ?? this.owner.defaultQueueFrames(options.role),
      startAtKeyframe,
    );
    this.subscriptions.add(subscription);
    this.owner.onSubscribersChanged(1);
    // Only once the subscription is attached: a publisher may answer with a keyframe synchronously.
    if (startAtKeyframe && this.trackList.some((t) => t.kind === 'video')) this.requestKeyframe(options.name);
    return subscription;
  }

  /**
   * Counts a viewer of this stream (a play plugin calls it for each player it serves, whatever it
   * subscribes to — a converted stream counts its viewers on the stream they asked for). The function
   * it returns counts the viewer out, once. Shown in /metrics and the REST API.
   */
  addViewer(protocol: string): () => void {
    this.viewersByProtocol.set(protocol, (this.viewersByProtocol.get(protocol) ?? 0) + 1);
    this.owner.onViewersChanged(this, protocol, 1);
    let counted = true;
    return () => {
      if (!counted) return;
      counted = false;
      const left = (this.viewersByProtocol.get(protocol) ?? 1) - 1;
      if (left === 0) this.viewersByProtocol.delete(protocol);
      else this.viewersByProtocol.set(protocol, left);
      this.owner.onViewersChanged(this, protocol, -1);
    };
  }

  /** Viewers right now, by protocol (only protocols with viewers). */
  get viewers(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.viewersByProtocol);
  }

  /** The publisher registers here to learn that a subscriber wants a keyframe. */
  onKeyframeRequest(handler: KeyframeRequestHandler): () => void {
    this.keyframeHandlers.add(handler);
    return () => this.keyframeHandlers.delete(handler);
  }

  /**
   * Asks the publisher for a keyframe. Handlers run in a microtask, once per requester for all
   * the requests of the current tick, so a publisher that answers at once never writes a frame in the middle of
   * handing another frame to the subscribers.
   */
  requestKeyframe(requester: string): void {
    if (this.keyframeHandlers.size === 0) return;
    if (this.pendingKeyframeRequesters.size === 0) {
      queueMicrotask(() => {
        const requesters = [...this.pendingKeyframeRequesters];
        this.pendingKeyframeRequesters.clear();
        for (const requester of requesters) {
          for (const handler of this.keyframeHandlers) {
            // A throwing handler (a third-party publisher) must not become an uncaught exception.
            try {
              handler({ requester });
            } catch (error) {
              this.owner.onKeyframeHandlerError(this, error);
            }
          }
        }
      });
    }
    this.pendingKeyframeRequesters.add(requester);
  }

  /**
   * Ends the stream: subscribers get `end` after what is queued, the name is freed, and the
   * `unpublished` hook runs. Idempotent; every caller gets the same promise.
   */
  end(reason: string): Promise<void> {
    if (this.endPromise !== undefined) return this.endPromise;
    this.owner.release(this);
    this.endPromise = Promise.resolve().then(() => this.owner.onEnded(this, reason));
    for (const subscription of this.subscriptions) subscription.pushEnd(reason);
    this.keyframeHandlers.clear();
    return this.endPromise;
  }

  /** @internal */
  detach(subscription: Subscription): void {
    if (this.subscriptions.delete(subscription)) this.owner.onSubscribersChanged(-1);
  }

  /** @internal */
  countDropped(role: SubscriberRole, frames: number): void {
    this.owner.countDropped(role, frames);
  }
}
