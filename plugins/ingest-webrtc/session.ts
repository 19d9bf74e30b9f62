import { randomUUID } from 'node:crypto';
import type { Logger, PublishRequest, Stream, StreamBus, Track } from '../../core/index.js';
import { SpoolError, errorMessage } from '../../core/index.js';
import { grantedReceiveBufferBytes } from '../../lib/webrtc/udp-buffers.js';
import type { IngestWebRtcConfig } from './config.js';
import { H264Converter, OpusConverter, Vp8Converter, VIDEO_TRACK_ID } from './frames.js';
import { OfferError, type PreparedOffer } from './offer.js';
import { PublisherPeer, type MediaKind } from './peer.js';
import { WebRtcPublisher } from './publisher.js';
import { TrackReceiver, type TrackReceiverHandlers } from './track-receiver.js';

/** Who publishes what, from the WHIP request: the bus's publish request less what the offer settles. */
export type WhipIdentity = Omit<PublishRequest, 'source' | 'tracks'>;

export interface SessionDeps {
  readonly bus: Pick<StreamBus, 'publish'>;
  readonly log: Logger;
  readonly config: Readonly<IngestWebRtcConfig>;
  readonly reportError: (where: string, error: unknown) => void;
  /** Called once the session has closed, whatever closed it. */
  readonly onClosed: (session: WhipSession) => void;
}

const WATCHDOG_MS = 1000;

/**
 * One WHIP publish (one WHIP resource): the werift peer, a receiver per track, and the stream on
 * the bus. The stream is published when the offer is answered, with the tracks the offer settled
 * (their decoder configs follow with the first keyframe), so a refusal by the `publish` hook is
 * the WHIP POST's answer. Closes once, from any side: DELETE, the peer going away (ICE failure,
 * DTLS close, no RTP for `noMediaTimeoutMs`), the stream ended by the server, or shutdown.
 */
export class WhipSession {
  readonly id = randomUUID();
  private stream: Stream | undefined;
  private publisher: WebRtcPublisher | undefined;
  private readonly receivers: TrackReceiver[] = [];
  private readonly converters: { video?: H264Converter | Vp8Converter; audio?: OpusConverter };
  private lastPacketMs = Date.now();
  private connected = false;
  private watchdog: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private readonly peer: PublisherPeer;

  constructor(
    readonly identity: WhipIdentity,
    private readonly offer: PreparedOffer,
    private readonly deps: SessionDeps,
  ) {
    const video = offer.video?.codec;
    this.converters = {
      video: video === 'h264' ? new H264Converter() : video === 'vp8' ? new Vp8Converter() : undefined,
      audio: offer.audio === undefined ? undefined : new OpusConverter(),
    };
    this.peer = new PublisherPeer(offer, deps.config, {
      onConnected: () => this.onConnected(),
      onGone: (reason) => void this.close(reason),
      onError: (where, error) => this.reportError(where, error),
      onConsentUnreachable: () =>
        warnOnce('consent', () =>
          deps.log.warn(
            "ingest-webrtc: werift's ICE pair could not be reached to relax its 500 ms consent deadline; " +
              'publishers may be dropped when the server is overloaded (another werift version?)',
          ),
        ),
    });
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Answers the offer and publishes the stream; on failure everything is closed and the error thrown. */
  async open(): Promise<string> {
    try {
      const answer = await this.peer.answer().catch((error: unknown) => {
        throw new OfferError(400, `the offer cannot be answered: ${errorMessage(error)}`);
      });
      this.checkReceiveBuffers();
      const stream = await this.deps.bus.publish({
        ...this.identity,
        source: 'webrtc',
        tracks: this.tracks(),
      });
      if (this.closing !== undefined) {
        await stream.end('publisher gone');
        throw new SpoolError('SPOOL_ERR_STREAM_ENDED', 'the publish ended while it was being decided');
      }
      this.stream = stream;
      this.startReceiving(stream);
      return answer;
    } catch (error) {
      await this.close(`publish failed: ${errorMessage(error)}`);
      throw error;
    }
  }

  /** Says once per process when the UDP receive buffers could not be enlarged as configured. */
  private checkReceiveBuffers(): void {
    const wanted = this.deps.config.ice.receiveBufferBytes;
    const granted = grantedReceiveBufferBytes(this.peer.receiveBufferSizes);
    if (granted === undefined) {
      warnOnce('unreached', () =>
        this.deps.log.warn(
          "ingest-webrtc: werift's UDP sockets could not be reached to set ice.receiveBufferBytes; " +
            'packets may be lost under load (another werift version?)',
        ),
      );
    } else if (granted < wanted) {
      warnOnce('capped', () =>
        this.deps.log.warn(
          { wantedBytes: wanted, grantedBytes: granted },
          `ingest-webrtc: UDP receive buffers are capped at ${granted} bytes by the kernel ` +
            `(net.core.rmem_max); raise it to ${wanted} or more for many publishers`,
        ),
      );
    }
  }

  /** Ends the stream (its recording is finalized by the recorder) and closes the peer. Idempotent. */
  close(reason: string): Promise<void> {
    this.closing ??= this.shutDown(reason);
    return this.closing;
  }

  private async shutDown(reason: string): Promise<void> {
    clearInterval(this.watchdog);
    for (const receiver of this.receivers) receiver.stop();
    this.publisher?.close();
    const from = this.identity.remoteAddress ?? 'unknown address';
    this.deps.log.info(
      { stream: this.identity.name, whipSession: this.id },
      `WHIP "${this.identity.name}" from ${from} closed: ${reason}`,
    );
    // Never rejects: callers fire and forget it from werift's event handlers.
    await Promise.all([
      this.stream?.end(reason).catch((error: unknown) => this.reportError('stream end', error)),
      this.peer.close().catch((error: unknown) => this.reportError('peer close', error)),
    ]);
    this.deps.onClosed(this);
  }

  /** The tracks the offer settled; video gets its decoder config and size with the first keyframe. */
  private tracks(): Track[] {
    const tracks: Track[] = [];
    const video = this.offer.video?.codec;
    if (video !== undefined)
      tracks.push({ id: VIDEO_TRACK_ID, kind: 'video', codec: video, timescale: 90000 });
    if (this.converters.audio !== undefined) tracks.push(this.converters.audio.track);
    return tracks;
  }

  private startReceiving(stream: Stream): void {
    const { config } = this.deps;
    this.publisher = new WebRtcPublisher(stream, this.converters, {
      log: this.deps.log,
      options: config,
      requestKeyframe: () => this.peer.requestKeyframe(),
      reportError: (where, error) => this.reportError(where, error),
    });
    for (const kind of ['video', 'audio'] as const) {
      const codec = kind === 'video' ? this.offer.video?.codec : this.offer.audio?.codec;
      const track = this.peer.track(kind);
      if (codec === undefined || track === undefined) continue;
      this.receivers.push(new TrackReceiver(track, codec, config.jitterLatencyMs, this.handlers(kind)));
    }
  }

  private handlers(kind: MediaKind): TrackReceiverHandlers {
    let ssrc: number | undefined;
    return {
      onFrame: (frame) => this.publisher?.onFrame(kind, frame),
      onLoss: () => this.publisher?.onLoss(kind),
      onSenderReport: (report) => this.publisher?.onSenderReport(kind, report),
      onPacket: (packetSsrc) => {
        this.lastPacketMs = Date.now();
        if (ssrc !== packetSsrc) {
          ssrc = packetSsrc;
          this.peer.setSsrc(kind, packetSsrc);
          if (kind === 'video') this.peer.requestKeyframe();
        }
      },
      onError: (error) => this.reportError(`${kind} frame`, error),
    };
  }

  private onConnected(): void {
    if (this.connected) return;
    this.connected = true;
    this.lastPacketMs = Date.now();
    this.deps.log.info(
      { stream: this.identity.name, whipSession: this.id },
      `WHIP "${this.identity.name}" connected`,
    );
    this.watchdog = setInterval(() => {
      if (this.stream?.ended === true) void this.close('the stream was ended by the server');
      else if (Date.now() - this.lastPacketMs > this.deps.config.noMediaTimeoutMs) {
        void this.close(`no media for ${this.deps.config.noMediaTimeoutMs} ms`);
      }
    }, WATCHDOG_MS).unref();
  }

  private reportError(where: string, error: unknown): void {
    this.deps.reportError(`WHIP "${this.identity.name}" ${where}`, error);
  }
}

const warned = new Set<string>();
function warnOnce(what: string, warn: () => void): void {
  if (warned.has(what)) return;
  warned.add(what);
  warn();
}
