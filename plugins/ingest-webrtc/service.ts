import type { PluginContext } from '../../core/index.js';
import { SpoolError, validateStreamName } from '../../core/index.js';
import type { WebRtcIngest } from './api.js';
import type { IngestWebRtcConfig } from './config.js';
import { OfferError, prepareOffer } from './offer.js';
import { WhipSession, type WhipIdentity } from './session.js';

export interface WhipPublished {
  readonly sessionId: string;
  readonly answer: string;
}

/**
 * The WHIP publishers: one session per stream name, from the POST until the session closes.
 * Names are reserved before any WebRTC work, so a second publisher of a name gets 409 at once.
 */
export class WhipService implements WebRtcIngest {
  private readonly byName = new Map<string, WhipSession>();
  private readonly pendingNames = new Set<string>();
  private stopping = false;

  constructor(private readonly ctx: PluginContext<IngestWebRtcConfig>) {}

  get publishers(): number {
    return this.byName.size;
  }

  async publish(identity: WhipIdentity, offerSdp: string): Promise<WhipPublished> {
    if (this.stopping)
      throw new SpoolError('SPOOL_ERR_BAD_REQUEST', 'the server is stopping', { status: 503 });
    validateStreamName(identity.name);
    let offer;
    try {
      offer = prepareOffer(offerSdp);
    } catch (error) {
      if (error instanceof OfferError) throw asHttpError(error);
      throw error;
    }
    const { name } = identity;
    if (this.byName.has(name) || this.pendingNames.has(name) || this.ctx.bus.find(name) !== undefined) {
      throw new SpoolError('SPOOL_ERR_STREAM_NAME_IN_USE', `stream "${name}" is already published`);
    }
    for (const refused of offer.refused)
      this.ctx.log.info({ stream: name }, `WHIP "${name}": refused ${refused}`);
    this.pendingNames.add(name);
    const session = new WhipSession(identity, offer, {
      bus: this.ctx.bus,
      log: this.ctx.log,
      config: this.ctx.config,
      reportError: (where, error) => this.ctx.reportError(where, error),
      onClosed: (closed) => {
        if (this.byName.get(closed.identity.name) === closed) this.byName.delete(closed.identity.name);
      },
    });
    try {
      const answer = await session.open().catch((error: unknown) => {
        throw error instanceof OfferError ? asHttpError(error) : error;
      });
      if (this.stopping) {
        await session.close('server stopped');
        throw new SpoolError('SPOOL_ERR_BAD_REQUEST', 'the server is stopping', { status: 503 });
      }
      if (!session.closed) this.byName.set(name, session);
      this.ctx.log.info(
        { stream: name, whipSession: session.id, video: offer.video?.codec, audio: offer.audio?.codec },
        `WHIP publish of "${name}" from ${identity.remoteAddress ?? 'unknown address'}`,
      );
      return { sessionId: session.id, answer };
    } finally {
      this.pendingNames.delete(name);
    }
  }

  /**
   * DELETE on the session's resource: false when there is no such session, or (`login` given: auth
   * is on) when another publisher's token asks — nobody ends someone else's publish.
   */
  async unpublish(name: string, sessionId: string, login?: string): Promise<boolean> {
    const session = this.byName.get(name);
    if (session === undefined || session.id !== sessionId) return false;
    if (login !== undefined && session.identity.login !== login) return false;
    await session.close('the publisher ended the WHIP session');
    return true;
  }

  /** Whether the WHIP session with this id is still publishing. */
  isLive(sessionId: string): boolean {
    return [...this.byName.values()].some((session) => session.id === sessionId && !session.closed);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.byName.values()].map((session) => session.close('server stopped')));
  }
}

function asHttpError(error: OfferError): SpoolError {
  return new SpoolError('SPOOL_ERR_BAD_REQUEST', error.message, { status: error.status });
}
