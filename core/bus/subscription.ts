import type { Frame, Track } from '../media.js';
import { Deque } from './queue.js';

export type SubscriberRole = 'player' | 'recorder';

export type BusEvent =
  /** A track's decoder config: sent first for every track, then whenever it changes. */
  | { readonly type: 'track'; readonly track: Track }
  | { readonly type: 'frame'; readonly frame: Frame }
  /**
   * Recorders only: the queue overflowed, `droppedFrames` were discarded and delivery resumes at
   * the next keyframe. The recorder counts it as a recording error (error policy).
   */
  | { readonly type: 'overflow'; readonly droppedFrames: number }
  /** The stream ended; nothing follows. */
  | { readonly type: 'end'; readonly reason: string };

export interface SubscribeOptions {
  /** Who is subscribing, for logs and metrics (usually the plugin's name). */
  readonly name: string;
  readonly role: SubscriberRole;
  /** Queue bound in frames; defaults from config bus.playerQueueFrames / bus.recorderQueueFrames. */
  readonly maxQueueFrames?: number;
  /** Skip frames until the first keyframe (default true). */
  readonly startAtKeyframe?: boolean;
}

export interface SubscriptionStats {
  delivered: number;
  dropped: number;
  overflows: number;
}

/** What a subscription needs from its stream; keeps the two files independent. */
export interface SubscriptionHost {
  readonly tracks: readonly Track[];
  requestKeyframe(requester: string): void;
  detach(subscription: Subscription): void;
  countDropped(role: SubscriberRole, frames: number): void;
}

/**
 * One subscriber's bounded view of a stream. The publisher pushes synchronously and never waits;
 * the subscriber drains at its own pace with `next()` or `for await`. When the queue is full,
 * queued frames are dropped and delivery resumes at the next keyframe: silently for players,
 * with an `overflow` event for recorders.
 */
export class Subscription implements AsyncIterable<BusEvent> {
  readonly stats: SubscriptionStats = { delivered: 0, dropped: 0, overflows: 0 };
  private readonly queue = new Deque<BusEvent>();
  private queuedFrames = 0;
  private waitingForKeyframe: boolean;
  private waiter: ((event: BusEvent | undefined) => void) | undefined;
  private closed = false;
  private ended = false;
  /** The overflow event still in the queue, which further drops are added to. */
  private pendingOverflow: { type: 'overflow'; droppedFrames: number } | undefined;

  constructor(
    private readonly host: SubscriptionHost,
    readonly name: string,
    readonly role: SubscriberRole,
    readonly maxQueueFrames: number,
    startAtKeyframe: boolean,
  ) {
    if (!Number.isInteger(maxQueueFrames) || maxQueueFrames < 1) {
      throw new RangeError(`subscription "${name}": maxQueueFrames must be a positive integer`);
    }
    this.waitingForKeyframe = startAtKeyframe;
    for (const track of host.tracks) this.enqueue({ type: 'track', track });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get queuedFrameCount(): number {
    return this.queuedFrames;
  }

  /** @internal called by the stream for every frame, synchronously. */
  pushFrame(frame: Frame): void {
    if (this.closed || this.ended) return;
    if (this.waitingForKeyframe) {
      if (!this.isResumePoint(frame)) {
        this.drop(1);
        return;
      }
      this.waitingForKeyframe = false;
    }
    if (this.queuedFrames >= this.maxQueueFrames) {
      this.overflow();
      if (!this.isResumePoint(frame)) {
        this.drop(1);
        return;
      }
      this.waitingForKeyframe = false;
    }
    this.queuedFrames++;
    this.enqueue({ type: 'frame', frame });
  }

  /** @internal */
  pushTrack(track: Track): void {
    if (!this.closed && !this.ended) this.enqueue({ type: 'track', track });
  }

  /** @internal the stream ended: queued events are still delivered, then `end`. */
  pushEnd(reason: string): void {
    if (this.closed || this.ended) return;
    this.enqueue({ type: 'end', reason });
    this.ended = true;
    this.host.detach(this);
  }

  /** Resolves with the next event, or undefined once the subscription is closed and drained. */
  next(): Promise<BusEvent | undefined> {
    const event = this.queue.shift();
    if (event !== undefined) return Promise.resolve(this.taken(event));
    if (this.closed || this.ended) return Promise.resolve(undefined);
    if (this.waiter !== undefined) {
      throw new Error(`subscription "${this.name}": next() called while another next() is pending`);
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Leaving the loop early (break, return, throw) closes the subscription. */
  async *[Symbol.asyncIterator](): AsyncIterator<BusEvent> {
    try {
      for (;;) {
        const event = await this.next();
        if (event === undefined) return;
        yield event;
        if (event.type === 'end') return;
      }
    } finally {
      this.close();
    }
  }

  /** Asks the publisher for a keyframe (WebRTC: PLI). */
  requestKeyframe(): void {
    if (!this.closed) this.host.requestKeyframe(this.name);
  }

  /**
   * Stops taking new frames: what is queued is still delivered, then an `end` event with the
   * reason (a recording stopped on request keeps every frame it had received). Idempotent.
   */
  end(reason: string): void {
    if (this.closed || this.ended) return;
    this.pushEnd(reason);
  }

  /** Stops delivery at once, dropping what is queued, and detaches; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.clear();
    this.queuedFrames = 0;
    this.host.detach(this);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(undefined);
  }

  private enqueue(event: BusEvent): void {
    const waiter = this.waiter;
    if (waiter !== undefined && this.queue.length === 0) {
      this.waiter = undefined;
      waiter(this.taken(event));
      return;
    }
    this.queue.push(event);
  }

  private taken(event: BusEvent): BusEvent {
    if (event.type === 'frame') {
      this.queuedFrames--;
      this.stats.delivered++;
    } else if (event === this.pendingOverflow) {
      this.pendingOverflow = undefined;
    } else if (event.type === 'end') {
      this.closed = true;
      this.host.detach(this);
    }
    return event;
  }

  private overflow(): void {
    const removed = this.queue.retain((event) => event.type !== 'frame');
    this.queuedFrames = 0;
    this.stats.overflows++;
    this.waitingForKeyframe = true;
    // One overflow event per stall: later overflows and the frames skipped while waiting for a
    // keyframe are added to the event still queued.
    if (this.role === 'recorder' && this.pendingOverflow === undefined) {
      this.pendingOverflow = { type: 'overflow', droppedFrames: 0 };
      this.enqueue(this.pendingOverflow);
    }
    this.drop(removed);
    this.host.requestKeyframe(this.name);
  }

  private drop(frames: number): void {
    if (this.pendingOverflow !== undefined) this.pendingOverflow.droppedFrames += frames;
    this.stats.dropped += frames;
    this.host.countDropped(this.role, frames);
  }

  private hasVideo(): boolean {
    return this.host.tracks.some((track) => track.kind === 'video');
  }

  /** A frame a decoder can start from: a video keyframe, or any frame of an audio-only stream. */
  private isResumePoint(frame: Frame): boolean {
    if (!this.hasVideo()) return true;
    const track = this.host.tracks.find((t) => t.id === frame.trackId);
    return track?.kind === 'video' && frame.keyframe;
  }
}
