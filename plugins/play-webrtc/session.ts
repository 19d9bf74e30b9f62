import { randomUUID } from 'node:crypto';
import type { Frame, Logger, Stream, Subscription, Track } from '../../core/index.js';
import type { IceSettings } from '../../lib/webrtc/ice-config.js';
import type { CodecChoice } from './codec-choice.js';
import type { PlayWebRtcConfig } from './config.js';
import { TrackSender } from './track-sender.js';
import { ViewerPeer, type MediaKind } from './viewer-peer.js';

export interface ViewerIdentity {
  /** The name asked for (may carry credentials: never logged as is). */
  readonly name: string;
  readonly login: string;
  readonly remoteAddress?: string;
}

export interface SessionDeps {
  readonly config: Readonly<PlayWebRtcConfig>;
  readonly ice: Readonly<IceSettings>;
  readonly log: Logger;
  /** The subscriber name on the bus. */
  readonly subscriberName: string;
  readonly reportError: (where: string, error: unknown) => void;
  /** The viewer is connected and watching `source` (counted until onLeft). */
  readonly onWatching: (session: WhepSession) => void;
  /** Called once when the session has closed, whatever closed it. */
  readonly onClosed: (session: WhepSession) => void;
}

const WATCHDOG_MS = 1000;

/**
 * One WHEP viewer (one WHEP resource): the werift peer and, once it is connected, a player
 * subscription to the stream whose frames become RTP. `source` is the stream asked for (viewers are
 * counted on it); `media` is what is sent: the same stream, or the transcoder's converted one with
 * the same video and Opus audio. Closes once, from any side: DELETE, the viewer going away (DTLS
 * close, ICE failure, no RTCP for `noFeedbackTimeoutMs`), no connection within `connectTimeoutMs`,
 * the stream ending, or shutdown.
 */
export class WhepSession {
  readonly id = randomUUID();
  private readonly peer: ViewerPeer;
  private readonly senders = new Map<MediaKind, TrackSender>();
  private subscription: Subscription | undefined;
  private closing: Promise<void> | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastFeedbackMs = Date.now();
  private originSeconds: number | undefined;
  /** When the viewer connected, and when its first picture was sent (join time, for the log). */
  private connectedAtMs: number | undefined;
  firstPictureMs: number | undefined;
  watching = false;

  constructor(
    readonly identity: ViewerIdentity,
    readonly source: Stream,
    private readonly media: Stream,
    choice: CodecChoice,
    private readonly deps: SessionDeps,
  ) {
    this.peer = new ViewerPeer(choice, deps.ice, deps.config.connectTimeoutMs, {
      onConnected: () => this.onConnected(),
      onGone: (reason) => void this.close(reason),
      onKeyframeRequest: () => this.subscription?.requestKeyframe(),
      onFeedback: () => (this.lastFeedbackMs = Date.now()),
      onError: (where, error) => this.reportError(where, error),
    });
    const { maxRtpPayloadBytes } = deps.config;
    if (choice.video !== undefined) {
      this.senders.set(
        'video',
        new TrackSender(choice.video.kind, 90000, maxRtpPayloadBytes, (p) => this.peer.send('video', p)),
      );
    }
    if (choice.audio !== undefined) {
      const clockRate = choice.audio.kind === 'opus' ? 48000 : 8000;
      this.senders.set(
        'audio',
        new TrackSender(choice.audio.kind, clockRate, maxRtpPayloadBytes, (p) => this.peer.send('audio', p)),
      );
    }
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** The stream's name as shown (a bus name never carries credentials). */
  get streamName(): string {
    return this.source.name;
  }

  /** Answers the offer; on failure everything is closed and the error thrown. */
  async open(answerableOffer: string): Promise<string> {
    try {
      return await this.peer.answer(answerableOffer);
    } catch (error) {
      await this.close('the offer could not be answered');
      throw error;
    }
  }

  close(reason: string): Promise<void> {
    this.closing ??= this.shutDown(reason);
    return this.closing;
  }

  private async shutDown(reason: string): Promise<void> {
    clearInterval(this.watchdog);
    this.subscription?.close();
    this.deps.log.info(
      { stream: this.streamName, whepSession: this.id },
      `WHEP viewer of "${this.streamName}" from ${this.identity.remoteAddress ?? 'unknown address'} closed: ${reason}`,
    );
    await this.peer.close().catch((error: unknown) => this.reportError('peer close', error));
    this.deps.onClosed(this);
  }

  private onConnected(): void {
    if (this.closed) return;
    this.connectedAtMs = Date.now();
    this.lastFeedbackMs = Date.now();
    if (this.media.ended) {
      void this.close('the stream ended');
      return;
    }
    // Subscribed only now: frames before the transport is up would be dropped by werift, and the
    // subscription's keyframe request is then answered for a viewer that can use it.
    const subscription = this.media.subscribe({ name: this.deps.subscriberName, role: 'player' });
    this.subscription = subscription;
    this.watching = true;
    this.deps.onWatching(this);
    this.deps.log.info(
      { stream: this.streamName, whepSession: this.id },
      `WHEP viewer of "${this.streamName}" connected`,
    );
    this.watchdog = setInterval(() => {
      const silentMs = Date.now() - this.lastFeedbackMs;
      if (silentMs > this.deps.config.noFeedbackTimeoutMs) {
        void this.close(`no RTCP from the viewer for ${this.deps.config.noFeedbackTimeoutMs} ms`);
      }
    }, WATCHDOG_MS).unref();
    void this.play(subscription).catch((error: unknown) => {
      this.reportError('frames', error);
      void this.close('internal error');
    });
  }

  private async play(subscription: Subscription): Promise<void> {
    const tracks = new Map<number, Track>();
    for await (const event of subscription) {
      if (event.type === 'track') tracks.set(event.track.id, event.track);
      else if (event.type === 'frame') {
        const track = tracks.get(event.frame.trackId);
        if (track !== undefined) this.send(event.frame, track);
      } else if (event.type === 'end') {
        void this.close(`the stream ended: ${event.reason}`);
      }
    }
  }

  private send(frame: Frame, track: Track): void {
    const sender = this.senders.get(track.kind);
    // A track of another codec (the converted stream's source audio, a codec change) is not sent.
    if (sender === undefined || sender.codec !== track.codec) return;
    this.originSeconds ??= frame.pts / track.timescale;
    sender.send(frame, track, this.originSeconds);
    if (this.firstPictureMs === undefined && track.kind === 'video') {
      this.firstPictureMs = Date.now();
      this.deps.log.debug(
        { stream: this.streamName, whepSession: this.id, joinMs: this.firstPictureMs - this.connectedAtMs! },
        'WHEP viewer: first picture sent',
      );
    }
  }

  private reportError(where: string, error: unknown): void {
    this.deps.reportError(`WHEP viewer of "${this.streamName}" ${where}`, error);
  }
}
