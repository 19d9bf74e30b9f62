/**
 * The HTTP side of an SDP offer/answer exchange (WHIP, WHEP): the offer's content type and body, and
 * the OPTIONS and 405 answers of the endpoint and resource paths.
 */
import type { IncomingMessage } from 'node:http';
import type { RouterContext, RouterMiddleware } from '@koa/router';
import { SpoolError } from '../../core/index.js';

export function isSdp(contentType: string): boolean {
  return contentType.split(';')[0]!.trim().toLowerCase() === 'application/sdp';
}

/** CORS preflight (and plain OPTIONS): what a browser page on another origin may send. */
export function preflight(methods: string): RouterMiddleware {
  return (ctx) => {
    ctx.set('Allow', methods);
    ctx.set('Accept-Post', 'application/sdp');
    ctx.set('Access-Control-Allow-Methods', methods);
    ctx.set('Access-Control-Allow-Headers', 'Content-Type, Authorization, If-Match');
    ctx.status = 204;
  };
}

export function notAllowed(methods: string): RouterMiddleware {
  return (ctx) => {
    ctx.set('Allow', methods);
    throw new SpoolError(
      'SPOOL_ERR_METHOD_NOT_ALLOWED',
      `${ctx.method} is not allowed here (allowed: ${methods})`,
    );
  };
}

/** Reads an SDP body: 413 past `limitBytes` (the connection is then closed instead of drained). */
export async function readSdpBody(ctx: RouterContext, limitBytes: number): Promise<string> {
  const request: IncomingMessage = ctx.req;
  const tooLarge = () => {
    ctx.set('Connection', 'close');
    return new SpoolError('SPOOL_ERR_PAYLOAD_TOO_LARGE', `the offer is larger than ${limitBytes} bytes`);
  };
  if (Number(request.headers['content-length'] ?? 0) > limitBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limitBytes) throw tooLarge();
    chunks.push(chunk);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size));
  } catch {
    throw new SpoolError('SPOOL_ERR_BAD_REQUEST', 'the offer is not UTF-8 text');
  }
}
