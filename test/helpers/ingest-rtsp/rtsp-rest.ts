/** For the ingest-rtsp tests (unit and integration): its REST methods called over real HTTP. */
import type { Spool } from '../../../core/index.js';
import type { CaptureView } from '../../../plugins/ingest-rtsp/api.js';

export interface RestReply {
  readonly status: number;
  readonly body: unknown;
}

export interface RtspRest {
  /** POST `body` as JSON to /rest-api`path`. */
  call(path: string, body?: unknown): Promise<RestReply>;
  /** /rtsp/find_all's list; empty on its 404. */
  captures(): Promise<CaptureView[]>;
  /** Polls find_all until a capture matches `accept`. */
  captureWhen(
    accept: (capture: CaptureView) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<CaptureView>;
}

export function rtspRest(spool: Spool): RtspRest {
  const call = async (path: string, body?: unknown): Promise<RestReply> => {
    const response = await fetch(`http://127.0.0.1:${spool.httpPort}/rest-api${path}`, {
      method: 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  const captures = async (): Promise<CaptureView[]> => {
    const { status, body } = await call('/rtsp/find_all');
    return status === 200 ? (body as CaptureView[]) : [];
  };
  const captureWhen = async (accept: (c: CaptureView) => boolean, what: string, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = await captures();
      const found = list.find(accept);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(list)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return { call, captures, captureWhen };
}
