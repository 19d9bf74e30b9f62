import type { IncomingMessage } from 'node:http';
import { SpoolError, errorMessage } from '../../core/index.js';

/**
 * Reads a JSON request body of at most `limitBytes`: 413 beyond it (without reading the rest),
 * 400 for text that is not UTF-8 JSON. An empty body is `undefined`.
 */
export async function readJsonBody(request: IncomingMessage, limitBytes: number): Promise<unknown> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limitBytes) throw tooLarge(limitBytes);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size));
  } catch {
    throw new SpoolError('SPOOL_ERR_BAD_REQUEST', 'request body is not UTF-8 text');
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SpoolError('SPOOL_ERR_BAD_REQUEST', `request body is not valid JSON: ${errorMessage(error)}`);
  }
}

/** Marks the 413 so the connection can be closed instead of draining the rest of the body. */
export const BODY_TOO_LARGE_STATUS = 413;

function tooLarge(limitBytes: number): SpoolError {
  return new SpoolError('SPOOL_ERR_PAYLOAD_TOO_LARGE', `request body is larger than ${limitBytes} bytes`, {
    status: BODY_TOO_LARGE_STATUS,
  });
}
