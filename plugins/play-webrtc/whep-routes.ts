import { Router, SpoolError } from '../../core/index.js';
import { bearerLogins } from '../../lib/http/bearer-token.js';
import { isSdp, notAllowed, preflight, readSdpBody } from '../../lib/http/sdp-exchange.js';
import type { WebRtcAuthSettings } from '../ingest-webrtc/api.js';
import { WHEP_PATH } from './api.js';
import type { PlayWebRtcConfig } from './config.js';
import type { WhepService } from './service.js';

/** Header of the 201 naming the played stream's media session. */
export const MEDIA_SESSION_HEADER = 'X-Spool-Media-Session-Id';

const RESOURCE_METHODS = 'DELETE, PATCH, OPTIONS';
const ENDPOINT_METHODS = 'POST, OPTIONS';

/**
 * WHEP (draft-ietf-wish-whep) over the kernel's HTTP server: POST /whep/NAME with an SDP offer →
 * 201 Created, the answer and the session's Location (/whep/NAME/SESSION); DELETE on it ends the
 * session (200, then 404). NAME is URL-encoded (an rtsp:// URI as one path segment). Trickle ICE and
 * ICE restarts (PATCH) are not supported: the answer carries every candidate. Errors are the
 * kernel's JSON bodies: 400 bad offer, 401 bad token, 404 no such stream or session, 405 method,
 * 406 no common codec, 413 offer too large, 415 not application/sdp, 502 a pull failed.
 */
export function whepRouter(
  service: WhepService,
  config: Readonly<PlayWebRtcConfig>,
  auth: WebRtcAuthSettings,
): Router {
  const router = new Router({ prefix: WHEP_PATH });
  const loginOf = auth.enabled ? bearerLogins(auth.tokens, 'whep', 'WHEP') : undefined;
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
        'a WHEP offer must be sent as Content-Type: application/sdp',
        {
          status: 415,
        },
      );
    }
    const login = loginOf === undefined ? '' : loginOf(ctx);
    const offer = await readSdpBody(ctx, config.maxOfferBytes);
    const name = ctx.params.name!;
    const playing = await service.play({ name, login, remoteAddress: ctx.req.socket.remoteAddress }, offer);
    ctx.status = 201;
    ctx.set('Location', `${WHEP_PATH}/${encodeURIComponent(name)}/${playing.sessionId}`);
    ctx.set(MEDIA_SESSION_HEADER, playing.stream.mediaSessionId);
    ctx.type = 'application/sdp';
    ctx.body = playing.answer;
  });

  router.delete('/:name/:sessionId', async (ctx) => {
    const login = loginOf === undefined ? undefined : loginOf(ctx);
    const sessionId = ctx.params.sessionId!;
    const ended = service.nameOf(sessionId) === ctx.params.name && (await service.end(sessionId, login));
    if (!ended) throw new SpoolError('SPOOL_ERR_NOT_FOUND', `no WHEP session ${ctx.path}`);
    ctx.status = 200;
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
