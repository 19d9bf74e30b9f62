import { Router, SpoolError, type StreamBus } from '../../core/index.js';
import { bearerLogins } from '../../lib/http/bearer-token.js';
import { isSdp, notAllowed, preflight, readSdpBody } from '../../lib/http/sdp-exchange.js';
import { type RecordedFile } from '../recorder/api.js';
import { WHIP_PATH } from './api.js';
import type { IngestWebRtcConfig } from './config.js';
import type { WhipService } from './service.js';

/** Header of the 201 naming the stream's media session (the recordings' key). */
export const MEDIA_SESSION_HEADER = 'X-Spool-Media-Session-Id';
/** Media sessions remembered for DELETE answers; the oldest are forgotten past this. */
const MAX_REMEMBERED_SESSIONS = 10_000;

const RESOURCE_METHODS = 'DELETE, PATCH, OPTIONS';
const ENDPOINT_METHODS = 'POST, OPTIONS';

/**
 * WHIP (RFC 9725) over the kernel's HTTP server: POST /whip/NAME with an SDP offer →
 * 201 Created, the answer and the session's Location; DELETE on the Location ends the publish.
 * Trickle ICE and ICE restarts (PATCH) are not supported: the answer carries every candidate.
 * The 201 names the stream's media session (X-Spool-Media-Session-Id); the DELETE answers, once the
 * stream has ended and its recording is finalized (at most record_stop_timeout), with what was
 * recorded: `{mediaSessionId, recordings: [{fileName, url, durationMs, sizeBytes}]}` (the
 * reference's getRecordInfo; `recordings` is empty without the recorder).
 * Errors are the kernel's JSON bodies with a reason: 400 bad offer, 401 bad token, 404 no such
 * session, 405 method, 409 name in use, 413 offer too large, 415 not application/sdp, 422 no codec.
 */
export function whipRouter(
  service: WhipService,
  config: Readonly<IngestWebRtcConfig>,
  deps: WhipRouteDeps,
): Router {
  const router = new Router({ prefix: WHIP_PATH });
  const loginOf = config.auth.enabled ? bearerLogins(config.auth.tokens, 'whip', 'WHIP') : undefined;
  const mediaSessions = new Map<string, RememberedSession>();
  router.use(async (ctx, next) => {
    if (config.corsOrigin !== '') {
      ctx.set('Access-Control-Allow-Origin', config.corsOrigin);
      ctx.set('Access-Control-Expose-Headers', `Location, Link, Accept-Post, ${MEDIA_SESSION_HEADER}`);
    }
    await next();
  });

  router.post('/:name', async (ctx) => {
    if (!isSdp(ctx.get('Content-Type'))) {
      throw new SpoolError(
        'SPOOL_ERR_BAD_REQUEST',
        'a WHIP offer must be sent as Content-Type: application/sdp',
        {
          status: 415,
        },
      );
    }
    const login = loginOf === undefined ? (ctx.query.login?.toString() ?? '') : loginOf(ctx);
    const offer = await readSdpBody(ctx, config.maxOfferBytes);
    const name = ctx.params.name!;
    const query = firstValues(ctx.querystring);
    const published = await service.publish(
      { name, login, record: query.record === 'true', query, remoteAddress: ctx.req.socket.remoteAddress },
      offer,
    );
    ctx.status = 201;
    ctx.set('Location', `${WHIP_PATH}/${encodeURIComponent(name)}/${published.sessionId}`);
    const stream = deps.bus.find(name);
    if (stream?.source === 'webrtc') {
      remember(mediaSessions, published.sessionId, { name, login, mediaSessionId: stream.mediaSessionId });
      ctx.set(MEDIA_SESSION_HEADER, stream.mediaSessionId);
    }
    ctx.type = 'application/sdp';
    ctx.body = published.answer;
  });

  router.delete('/:name/:sessionId', async (ctx) => {
    const login = loginOf === undefined ? undefined : loginOf(ctx);
    const name = ctx.params.name!;
    const sessionId = ctx.params.sessionId!;
    const remembered = mediaSessions.get(sessionId);
    if (!(await service.unpublish(name, sessionId, login))) {
      // Ended by the server before (no media, ICE failure…): the publisher still gets its recordings,
      // once; the same login only when auth is on.
      const endedEarlier =
        remembered !== undefined &&
        remembered.name === name &&
        (login === undefined || remembered.login === login) &&
        !service.isLive(sessionId);
      if (!endedEarlier) throw new SpoolError('SPOOL_ERR_NOT_FOUND', `no WHIP session ${ctx.path}`);
    }
    const mediaSessionId = remembered?.mediaSessionId;
    mediaSessions.delete(sessionId);
    ctx.status = 200;
    ctx.body = {
      mediaSessionId: mediaSessionId ?? null,
      recordings: mediaSessionId === undefined ? [] : recordingsOf(deps, mediaSessionId),
    };
  });

  router.patch('/:name/:sessionId', (ctx) => {
    ctx.set('Allow', 'DELETE, OPTIONS');
    throw new SpoolError(
      'SPOOL_ERR_METHOD_NOT_ALLOWED',
      'trickle ICE and ICE restarts are not supported: the answer carries all candidates',
    );
  });

  router.options('/:name', preflight(ENDPOINT_METHODS));
  router.options('/:name/:sessionId', preflight(RESOURCE_METHODS));
  router.all('/:name', notAllowed(ENDPOINT_METHODS));
  router.all('/:name/:sessionId', notAllowed(RESOURCE_METHODS));
  return router;
}

export interface WhipRouteDeps {
  readonly bus: Pick<StreamBus, 'find'>;
  /** The recorder's finished files of a media session; undefined without the recorder. */
  readonly filesOf?: (mediaSessionId: string) => readonly RecordedFile[];
}

/** What the DELETE tells the publisher of one recorded file. */
export interface WhipRecording {
  readonly fileName: string;
  /** Where records-http serves it. */
  readonly url: string;
  readonly durationMs: number;
  readonly sizeBytes: number;
}

function recordingsOf(deps: WhipRouteDeps, mediaSessionId: string): WhipRecording[] {
  return (deps.filesOf?.(mediaSessionId) ?? []).map((file) => ({
    fileName: file.fileName,
    url: `/client/records/${encodeURIComponent(file.fileName)}`,
    durationMs: file.durationMs,
    sizeBytes: file.sizeBytes,
  }));
}

/** A WHIP session as its DELETE needs it, kept after the session ended (MAX_REMEMBERED_SESSIONS at most). */
interface RememberedSession {
  readonly name: string;
  readonly login: string;
  readonly mediaSessionId: string;
}

function remember(
  sessions: Map<string, RememberedSession>,
  sessionId: string,
  session: RememberedSession,
): void {
  sessions.set(sessionId, session);
  if (sessions.size > MAX_REMEMBERED_SESSIONS) sessions.delete(sessions.keys().next().value!);
}

/** Query parameters as a record; a repeated key keeps its first value. */
function firstValues(querystring: string): Record<string, string> {
  const first = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(querystring)) if (!first.has(key)) first.set(key, value);
  return Object.fromEntries(first);
}
