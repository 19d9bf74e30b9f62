import { randomBytes } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { Authenticator } from './auth.js';
import { RtspConnection, type ConnectionOptions } from './rtsp-connection.js';
import { RtspError } from './rtsp-error.js';
import { header, type RtspResponse } from './rtsp-message.js';
import { parseRtspUri, type RtspTarget } from './rtsp-url.js';
import { parseSdp, type SdpMedia } from './sdp.js';
import { parseRtpInfo, parseTransport, requestTransport } from './transport-header.js';
import { UdpPair } from './udp-transport.js';
import { receiverReport } from '../../lib/rtp/rtp.js';

export interface SessionOptions extends Omit<ConnectionOptions, 'host' | 'port'> {
  readonly transport: 'tcp' | 'udp';
  /** Upper bound of the keepalive period; the camera's session timeout / 2 when that is shorter. */
  readonly keepaliveMaxMs: number;
  /** Period of the RTCP receiver reports sent to the camera. */
  readonly receiverReportMs: number;
}

export interface SessionEvents {
  onRtp(track: number, packet: Buffer): void;
  onRtcp(track: number, packet: Buffer): void;
  /** The session ended by itself (connection lost, keepalive failed); not called after close(). */
  onFailure(error: RtspError): void;
}

const MAX_REDIRECTS = 5;
const TEARDOWN_WAIT_MS = 1000;
const DEFAULT_SESSION_TIMEOUT_S = 60;

/**
 * The client side of one RTSP session (RFC 2326): OPTIONS, DESCRIBE (following redirects, with
 * Basic or Digest credentials from the URI), SETUP per track over TCP-interleaved or UDP, PLAY,
 * keepalives within the session timeout, RTCP receiver reports, and TEARDOWN on close.
 */
export class RtspSession {
  private target: RtspTarget;
  private auth: Authenticator;
  private connection: RtspConnection | undefined;
  private sessionId: string | undefined;
  private sessionTimeoutS = DEFAULT_SESSION_TIMEOUT_S;
  private keepaliveMethod = 'OPTIONS';
  private readonly channels = new Map<number, { track: number; rtcp: boolean }>();
  private readonly udp: UdpPair[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private playUrl = '';
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    uri: string,
    private readonly options: SessionOptions,
    private readonly events: SessionEvents,
  ) {
    this.target = parseRtspUri(uri);
    this.auth = new Authenticator(credentialsOf(this.target));
  }

  /** The URL being played (after redirects), without credentials. */
  get url(): string {
    return this.target.url;
  }

  /** OPTIONS and DESCRIBE; returns the SDP's media sections. */
  async describe(): Promise<SdpMedia[]> {
    for (let redirects = 0; ; redirects++) {
      await this.connect();
      const options = await this.send('OPTIONS', this.target.url, {}, { allowFailure: true });
      const methods = header(options, 'public') ?? '';
      if (/\bGET_PARAMETER\b/i.test(methods)) this.keepaliveMethod = 'GET_PARAMETER';
      const reply = await this.send('DESCRIBE', this.target.url, { Accept: 'application/sdp' });
      if (reply.statusCode >= 300 && reply.statusCode < 400) {
        if (redirects >= MAX_REDIRECTS)
          throw new RtspError('protocol', `more than ${MAX_REDIRECTS} redirects`);
        this.redirect(header(reply, 'location'));
        continue;
      }
      const base = header(reply, 'content-base') ?? header(reply, 'content-location') ?? this.target.url;
      const description = parseSdp(reply.body.toString('utf8'), base);
      this.playUrl = description.controlUrl;
      return [...description.media];
    }
  }

  /** SETUP of each medium in order; its index is the track number the events carry. */
  async setup(media: readonly SdpMedia[]): Promise<void> {
    for (const [track, medium] of media.entries()) {
      let pair: UdpPair | undefined;
      if (this.options.transport === 'udp') {
        const server = this.connection!.remoteAddress ?? this.target.host;
        pair = await UdpPair.open(this.options.localAddress, server, isIPv6(server));
        this.udp.push(pair);
      }
      const transport = requestTransport(
        this.options.transport,
        track,
        pair && [pair.rtpPort, pair.rtcpPort],
      );
      const reply = await this.send('SETUP', medium.controlUrl, { Transport: transport });
      this.takeSession(header(reply, 'session'));
      const agreed = parseTransport(header(reply, 'transport'), this.options.transport, track);
      if (agreed.channels !== undefined) {
        this.channels.set(agreed.channels[0], { track, rtcp: false });
        this.channels.set(agreed.channels[1], { track, rtcp: true });
      }
      if (pair !== undefined) {
        pair.setServerRtcpPort(agreed.serverPorts![1]);
        pair.listen(
          (packet) => this.events.onRtp(track, packet),
          (packet) => this.events.onRtcp(track, packet),
          (error) => this.failWith(error),
        );
      }
    }
    if (this.sessionId === undefined)
      throw new RtspError('protocol', 'the SETUP reply has no Session header');
  }

  /** PLAY; returns RTP-Info's rtptime per medium (undefined where the camera gave none). */
  async play(media: readonly SdpMedia[]): Promise<Array<number | undefined>> {
    this.connection!.playing = true;
    const reply = await this.send('PLAY', this.playUrl, { Range: 'npt=0.000-' });
    const keepaliveMs = Math.max(
      1000,
      Math.min(this.options.keepaliveMaxMs, (this.sessionTimeoutS * 1000) / 2),
    );
    this.every(keepaliveMs, () => this.keepalive());
    this.every(this.options.receiverReportMs, () => this.sendReceiverReports(media.length));
    return parseRtpInfo(
      header(reply, 'rtp-info'),
      media.map((m) => m.controlUrl),
    );
  }

  /** TEARDOWN (waiting briefly for the reply) and close everything. Idempotent: one promise for all callers. */
  close(): Promise<void> {
    this.closing ??= this.teardown();
    return this.closing;
  }

  private async teardown(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    const connection = this.connection;
    if (connection !== undefined && this.sessionId !== undefined) {
      const teardown = this.send('TEARDOWN', this.playUrl || this.target.url, {}, { allowFailure: true });
      const wait = new Promise((resolve) => setTimeout(resolve, TEARDOWN_WAIT_MS).unref());
      await Promise.race([teardown.catch(() => undefined), wait]);
    }
    connection?.close();
    for (const pair of this.udp) pair.close();
  }

  private async connect(): Promise<void> {
    this.connection?.close();
    const connection = new RtspConnection(
      { ...this.options, host: this.target.host, port: this.target.port },
      {
        onInterleaved: (channel, payload) => {
          const route = this.channels.get(channel);
          if (route === undefined) return;
          if (route.rtcp) this.events.onRtcp(route.track, payload);
          else this.events.onRtp(route.track, payload);
        },
        onClose: (error) => {
          if (
            error !== undefined &&
            connection === this.connection &&
            !this.closed &&
            this.sessionId !== undefined
          ) {
            this.events.onFailure(error);
          }
        },
      },
    );
    this.connection = connection;
    await connection.open();
  }

  /**
   * One request with the session's headers and credentials. A 401 is answered once with the
   * challenge's credentials; a second 401 is 'unauthorized'. Statuses ≥ 400 throw unless allowed.
   */
  private async send(
    method: string,
    uri: string,
    headers: Record<string, string>,
    { allowFailure = false } = {},
  ): Promise<RtspResponse> {
    for (let attempt = 0; ; attempt++) {
      const authorization = this.auth.authorization(method, uri);
      const reply = await this.connection!.request(method, uri, {
        ...headers,
        ...(this.sessionId === undefined ? {} : { Session: this.sessionId }),
        ...(authorization === undefined ? {} : { Authorization: authorization }),
      });
      if (
        reply.statusCode === 401 &&
        attempt === 0 &&
        this.auth.accept(reply.headers.get('www-authenticate') ?? [], authorization !== undefined)
      ) {
        continue;
      }
      if (reply.statusCode === 401 && !(allowFailure && method === 'OPTIONS')) {
        const why = this.auth.hasCredentials
          ? 'the camera refused the credentials'
          : 'the camera wants credentials (put them in the URI)';
        throw new RtspError('unauthorized', `Unauthorized: ${method} answered 401; ${why}`);
      }
      if (reply.statusCode >= 400 && !allowFailure) {
        throw new RtspError(
          'status',
          `${method} ${this.target.url} answered ${reply.statusCode} ${reply.reason}`.trim(),
        );
      }
      return reply;
    }
  }

  private redirect(location: string | undefined): void {
    if (location === undefined) throw new RtspError('protocol', 'a redirect without a Location header');
    const next = parseRtspUri(new URL(location, this.target.url).href);
    // Credentials follow a redirect only to the same host.
    const keep =
      next.username === undefined && next.host === this.target.host ? credentialsOf(this.target) : undefined;
    this.target = {
      ...next,
      ...(keep === undefined ? {} : { username: keep.username, password: keep.password }),
    };
    this.auth = new Authenticator(credentialsOf(this.target));
  }

  private takeSession(value: string | undefined): void {
    if (value === undefined) return;
    const [id = '', ...params] = value.split(';');
    this.sessionId ??= id.trim();
    const timeout = params.map((p) => /^\s*timeout\s*=\s*(\d+)/i.exec(p)?.[1]).find((t) => t !== undefined);
    if (timeout !== undefined && Number(timeout) > 0) this.sessionTimeoutS = Number(timeout);
  }

  private keepalive(): void {
    this.send(this.keepaliveMethod, this.playUrl, {}, { allowFailure: true })
      .then((reply) => {
        // A camera that lists GET_PARAMETER but refuses it gets OPTIONS from now on.
        if (reply.statusCode === 405 || reply.statusCode === 501) this.keepaliveMethod = 'OPTIONS';
      })
      .catch((error: unknown) => {
        if (!this.closed && error instanceof RtspError && error.kind === 'unauthorized')
          this.events.onFailure(error);
        // timeouts and lost connections reach onFailure through the connection
      });
  }

  private sendReceiverReports(tracks: number): void {
    const report = receiverReport(this.ssrc, 'spool');
    for (let track = 0; track < tracks; track++) {
      const udp = this.udp[track];
      if (udp !== undefined) udp.sendRtcp(report);
      else this.connection?.sendInterleaved(this.rtcpChannel(track), report);
    }
  }

  private rtcpChannel(track: number): number {
    for (const [channel, route] of this.channels) if (route.track === track && route.rtcp) return channel;
    return track * 2 + 1;
  }

  private every(periodMs: number, task: () => void): void {
    const guarded = () => {
      try {
        task();
      } catch (error) {
        this.failWith(error);
      }
    };
    this.timers.push(setInterval(guarded, periodMs).unref());
  }

  /** A failure outside any request (a UDP handler, a timer): the session ends with it. */
  private failWith(error: unknown): void {
    if (this.closed) return;
    const failure =
      error instanceof RtspError ? error : new RtspError('protocol', String(error), { cause: error });
    this.events.onFailure(failure);
  }
}

function credentialsOf(target: RtspTarget): { username: string; password: string } | undefined {
  return target.username === undefined
    ? undefined
    : { username: target.username, password: target.password ?? '' };
}
