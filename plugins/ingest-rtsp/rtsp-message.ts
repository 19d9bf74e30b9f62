import { RtspError } from './rtsp-error.js';

/** An RTSP reply; header names are lower-case, a repeated header keeps every value. */
export interface RtspResponse {
  readonly statusCode: number;
  readonly reason: string;
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: Buffer;
}

/** What arrives on an RTSP connection: replies, and RTP/RTCP interleaved in them (RFC 2326 §10.12). */
export type RtspInput =
  | { readonly kind: 'response'; readonly response: RtspResponse }
  /** A request from the server (some cameras send GET_PARAMETER or ANNOUNCE); answered, never acted on. */
  | { readonly kind: 'request'; readonly method: string; readonly cseq: string | undefined }
  | { readonly kind: 'interleaved'; readonly channel: number; readonly payload: Buffer };

export interface ParserLimits {
  /** Longest status line + headers. */
  readonly maxHeaderBytes: number;
  /** Largest Content-Length accepted (an SDP is a few kB). */
  readonly maxBodyBytes: number;
  /** Stray bytes skipped between interleaved frames while playing before the connection is given up. */
  readonly maxSkipBytes: number;
}

export const DEFAULT_LIMITS: ParserLimits = {
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 256 * 1024,
  maxSkipBytes: 64 * 1024,
};

const DOLLAR = 0x24;
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Splits the byte stream of an RTSP connection into messages. Memory is bounded: it never holds
 * more than one header (maxHeaderBytes), one body (maxBodyBytes) or one interleaved frame (64 KiB by
 * its 16-bit length), and it throws an RtspError('protocol') on anything that is not RTSP.
 */
export class RtspMessageParser {
  private buffer: Buffer = Buffer.alloc(0);
  private skipped = 0;
  /** Once media flows, junk between frames (a camera's stray bytes) is skipped, within bounds. */
  playing = false;

  constructor(private readonly limits: ParserLimits = DEFAULT_LIMITS) {}

  get bufferedBytes(): number {
    return this.buffer.length;
  }

  /** Adds bytes; returns every complete message they finish. */
  push(chunk: Buffer): RtspInput[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: RtspInput[] = [];
    for (;;) {
      const message = this.next();
      if (message === undefined) break;
      out.push(message);
    }
    return out;
  }

  private next(): RtspInput | undefined {
    const buffer = this.buffer;
    if (buffer.length === 0) return undefined;
    if (buffer[0] === DOLLAR) return this.interleaved();
    if (!looksLikeMessageStart(buffer)) {
      if (!this.playing) throw garbage(buffer);
      return this.skipJunk();
    }
    const headerEnd = buffer.indexOf(HEADER_END);
    if (headerEnd === -1) {
      if (buffer.length > this.limits.maxHeaderBytes) {
        throw new RtspError('protocol', `RTSP header longer than ${this.limits.maxHeaderBytes} bytes`);
      }
      return undefined;
    }
    if (headerEnd > this.limits.maxHeaderBytes) {
      throw new RtspError('protocol', `RTSP header longer than ${this.limits.maxHeaderBytes} bytes`);
    }
    const lines = buffer.subarray(0, headerEnd).toString('latin1').split(/\r\n/);
    const headers = parseHeaders(lines.slice(1));
    const bodyBytes = contentLength(headers, this.limits.maxBodyBytes);
    const total = headerEnd + HEADER_END.length + bodyBytes;
    if (buffer.length < total) return undefined;
    const body = Buffer.from(buffer.subarray(headerEnd + HEADER_END.length, total));
    this.consume(total);
    return toMessage(lines[0]!, headers, body);
  }

  private interleaved(): RtspInput | undefined {
    if (this.buffer.length < 4) return undefined;
    const channel = this.buffer[1]!;
    const size = this.buffer.readUInt16BE(2);
    if (this.buffer.length < 4 + size) return undefined;
    // A copy: the parser's buffer is reused, and depacketizers keep fragments across packets.
    const payload = Buffer.from(this.buffer.subarray(4, 4 + size));
    this.consume(4 + size);
    this.skipped = 0;
    return { kind: 'interleaved', channel, payload };
  }

  private skipJunk(): RtspInput | undefined {
    let next = this.buffer.indexOf(DOLLAR, 1);
    const reply = this.buffer.indexOf('RTSP/', 1, 'latin1');
    if (reply !== -1 && (next === -1 || reply < next)) next = reply;
    const skip = next === -1 ? this.buffer.length : next;
    this.skipped += skip;
    if (this.skipped > this.limits.maxSkipBytes) {
      throw new RtspError('protocol', `${this.skipped} bytes of junk between RTP packets`);
    }
    this.consume(skip);
    return next === -1 ? undefined : this.next();
  }

  private consume(bytes: number): void {
    this.buffer = bytes >= this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(bytes);
  }
}

/** True while the buffer may still begin "RTSP/1.0 200 OK" or a request line such as "GET_PARAMETER …". */
function looksLikeMessageStart(buffer: Buffer): boolean {
  const head = buffer.subarray(0, 5).toString('latin1');
  if (head === 'RTSP/' || (head.length < 5 && 'RTSP/'.startsWith(head))) return true;
  return /^[A-Z_]+( |$)/.test(head);
}

function garbage(buffer: Buffer): RtspError {
  const shown = JSON.stringify(buffer.subarray(0, 40).toString('latin1'));
  return new RtspError('protocol', `the server sent something that is not RTSP: ${shown}`);
}

function parseHeaders(lines: readonly string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw new RtspError('protocol', `malformed RTSP header line ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const values = headers.get(name) ?? [];
    values.push(line.slice(colon + 1).trim());
    headers.set(name, values);
  }
  return headers;
}

function contentLength(headers: ReadonlyMap<string, readonly string[]>, maxBytes: number): number {
  const value = headers.get('content-length')?.[0];
  if (value === undefined) return 0;
  if (!/^\d{1,15}$/.test(value))
    throw new RtspError('protocol', `bad Content-Length ${JSON.stringify(value)}`);
  const bytes = Number(value);
  if (bytes > maxBytes) {
    throw new RtspError('protocol', `Content-Length ${bytes} is over the limit of ${maxBytes} bytes`);
  }
  return bytes;
}

function toMessage(startLine: string, headers: Map<string, string[]>, body: Buffer): RtspInput {
  const status = /^RTSP\/1\.\d (\d{3})(?: (.*))?$/.exec(startLine);
  if (status !== null) {
    return {
      kind: 'response',
      response: { statusCode: Number(status[1]), reason: status[2] ?? '', headers, body },
    };
  }
  const request = /^([A-Z_]+) \S+ RTSP\/1\.\d$/.exec(startLine);
  if (request !== null) return { kind: 'request', method: request[1]!, cseq: headers.get('cseq')?.[0] };
  throw new RtspError('protocol', `malformed RTSP status line ${JSON.stringify(startLine.slice(0, 80))}`);
}

/** The first value of a header, or undefined. */
export function header(response: RtspResponse, name: string): string | undefined {
  return response.headers.get(name.toLowerCase())?.[0];
}

/** Serializes a request; header values must not contain line breaks (they come from URLs and SDP). */
export function formatRequest(
  method: string,
  uri: string,
  headers: Readonly<Record<string, string>>,
): Buffer {
  let text = `${method} ${uri} RTSP/1.0\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(value)) throw new RtspError('protocol', `header ${name} would contain a line break`);
    text += `${name}: ${value}\r\n`;
  }
  return Buffer.from(`${text}\r\n`, 'latin1');
}
