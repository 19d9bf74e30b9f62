import type { PluginContext, Stream } from '../../core/index.js';
import { SpoolError, errorMessage, isSpoolError, redactCredentials } from '../../core/index.js';
import type { IceSettings } from '../../lib/webrtc/ice-config.js';
import type { WebRtcPlayback } from './api.js';
import { NoCommonCodecError, chooseCodecs, type CodecChoice } from './codec-choice.js';
import type { PlayWebRtcConfig } from './config.js';
import { OfferError, answerableOffer, readWhepOffer } from './offer.js';
import { WhepSession, type ViewerIdentity } from './session.js';

export interface WhepPlaying {
  readonly sessionId: string;
  readonly answer: string;
  readonly stream: Stream;
}

/** Name prefix of the transcoder's streams with the same video and the audio converted to Opus. */
export const CONVERTED_OPUS_PREFIX = 'converted:opus:';

/**
 * The WHEP viewers: one session per POST, from the answer until it closes. Viewers are counted per
 * stream once connected (`Stream.addViewer` and `viewersOf`), on the stream asked for even when the converted
 * one is sent.
 */
export class WhepService implements WebRtcPlayback {
  private readonly byId = new Map<string, WhepSession>();
  private readonly viewerCounts = new Map<string, number>();
  private stopping = false;
  private warnedNoConversion = false;

  constructor(
    private readonly ctx: PluginContext<PlayWebRtcConfig>,
    private readonly ice: Readonly<IceSettings>,
  ) {}

  get sessions(): number {
    return this.byId.size;
  }

  viewersOf(mediaSessionId: string): number {
    return this.viewerCounts.get(mediaSessionId) ?? 0;
  }

  viewers(): ReadonlyMap<string, number> {
    return new Map(this.viewerCounts);
  }

  async play(identity: ViewerIdentity, offerSdp: string): Promise<WhepPlaying> {
    if (this.stopping) throw stoppingError();
    let offer;
    try {
      offer = readWhepOffer(offerSdp);
    } catch (error) {
      if (error instanceof OfferError) throw new SpoolError('SPOOL_ERR_BAD_REQUEST', error.message);
      throw error;
    }
    const stream = await this.demand(identity.name);
    let choice = codecsFor(stream, offer);
    for (const note of choice.notes)
      this.ctx.log.info({ stream: stream.name }, `WHEP "${stream.name}": ${note}`);
    let media = stream;
    if (choice.audio?.convert === true) {
      const converted = await this.converted(stream);
      if (converted === undefined) choice = { ...choice, audio: undefined };
      else media = converted;
    }
    if (choice.video === undefined && choice.audio === undefined) {
      throw notAcceptable(
        `stream "${stream.name}" has no video and its audio cannot be converted to Opus (is the transcoder enabled?)`,
      );
    }
    const chosen = new Map<number, number>();
    if (choice.video !== undefined) chosen.set(choice.video.section, choice.video.codec.payloadType);
    if (choice.audio !== undefined) chosen.set(choice.audio.section, choice.audio.codec.payloadType);
    let countOut: (() => void) | undefined;
    const session = new WhepSession(identity, stream, media, choice, {
      config: this.ctx.config,
      ice: this.ice,
      log: this.ctx.log,
      subscriberName: this.ctx.name,
      reportError: (where, error) => this.ctx.reportError(where, error),
      onWatching: (watching) => {
        countOut = this.countIn(watching.source);
      },
      onClosed: (closed) => {
        this.byId.delete(closed.id);
        countOut?.();
      },
    });
    this.byId.set(session.id, session);
    const answer = await session.open(answerableOffer(offer, chosen)).catch((error: unknown) => {
      throw new SpoolError('SPOOL_ERR_BAD_REQUEST', `the offer cannot be answered: ${errorMessage(error)}`);
    });
    if (this.stopping) {
      await session.close('server stopped');
      throw stoppingError();
    }
    this.ctx.log.info(
      {
        stream: stream.name,
        whepSession: session.id,
        video: choice.video?.kind,
        audio:
          choice.audio === undefined
            ? undefined
            : `${choice.audio.kind}${choice.audio.convert ? ' (converted)' : ''}`,
      },
      `WHEP viewer of "${stream.name}" from ${identity.remoteAddress ?? 'unknown address'}`,
    );
    return { sessionId: session.id, answer, stream };
  }

  /**
   * DELETE on the session's resource: false when there is no such session (any more), or (`login`
   * given: auth is on) when another viewer's token asks.
   */
  async end(sessionId: string, login?: string): Promise<boolean> {
    const session = this.byId.get(sessionId);
    if (session === undefined || session.closed) return false;
    if (login !== undefined && session.identity.login !== login) return false;
    await session.close('the viewer ended the WHEP session');
    return true;
  }

  /** The name of the stream a session plays, for its resource path check. */
  nameOf(sessionId: string): string | undefined {
    return this.byId.get(sessionId)?.identity.name;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.byId.values()].map((session) => session.close('server stopped')));
  }

  /** The published stream, or the one a provider pulls for the name (rtsp://…); 404 when none can. */
  private async demand(name: string): Promise<Stream> {
    try {
      return await this.ctx.bus.demand(name, { timeoutMs: this.ctx.config.demandTimeoutMs });
    } catch (error) {
      if (isSpoolError(error, 'SPOOL_ERR_NOT_FOUND')) {
        throw new SpoolError(
          'SPOOL_ERR_STREAM_NOT_FOUND',
          `no stream named ${JSON.stringify(redactCredentials(name))} is published, and no plugin can pull it`,
        );
      }
      throw error;
    }
  }

  /**
   * The transcoder's stream of `stream` with its audio as Opus; undefined (video only, warned once)
   * when no provider takes `converted:opus:` names or the conversion cannot start.
   */
  private async converted(stream: Stream): Promise<Stream | undefined> {
    try {
      return await this.ctx.bus.demand(CONVERTED_OPUS_PREFIX + stream.name, {
        timeoutMs: this.ctx.config.demandTimeoutMs,
      });
    } catch (error) {
      if (!isSpoolError(error)) throw error;
      const audio = stream.tracks.find((track) => track.kind === 'audio')?.codec;
      const why =
        error.code === 'SPOOL_ERR_NOT_FOUND'
          ? 'no plugin converts audio for playback (enable the transcoder)'
          : `the conversion failed: ${error.message}`;
      if (!this.warnedNoConversion || error.code !== 'SPOOL_ERR_NOT_FOUND') {
        this.warnedNoConversion = true;
        this.ctx.log.warn(
          { stream: stream.name },
          `WHEP viewers of "${stream.name}" get video only: its ${audio} audio needs converting to Opus, and ${why}`,
        );
      }
      return undefined;
    }
  }

  /**
   * Counts a connected viewer of `stream` (here, and on the stream: the kernel's
   * spool_play_viewers{protocol="webrtc"} and the REST API); the function it returns counts it out, once.
   */
  private countIn(stream: Stream): () => void {
    const id = stream.mediaSessionId;
    this.viewerCounts.set(id, this.viewersOf(id) + 1);
    const countOutOfStream = stream.addViewer('webrtc');
    let counted = true;
    return () => {
      if (!counted) return;
      counted = false;
      countOutOfStream();
      const left = this.viewersOf(id) - 1;
      if (left > 0) this.viewerCounts.set(id, left);
      else this.viewerCounts.delete(id);
    };
  }
}

function codecsFor(stream: Stream, offer: ReturnType<typeof readWhepOffer>): CodecChoice {
  try {
    return chooseCodecs(stream.name, stream.tracks, offer);
  } catch (error) {
    if (error instanceof NoCommonCodecError) throw notAcceptable(error.message);
    throw error;
  }
}

function stoppingError(): SpoolError {
  return new SpoolError('SPOOL_ERR_BAD_REQUEST', 'the server is stopping', { status: 503 });
}

/** 406: the viewer offered none of the codecs the stream can be sent in. */
function notAcceptable(message: string): SpoolError {
  return new SpoolError('SPOOL_ERR_BAD_REQUEST', message, { status: 406 });
}
