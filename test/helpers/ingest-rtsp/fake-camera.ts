/**
 * For the ingest-rtsp unit tests: a scripted RTSP server in this process. It answers OPTIONS,
 * DESCRIBE, SETUP (TCP interleaved), PLAY, GET_PARAMETER and TEARDOWN, can demand Digest
 * credentials or redirect, and streams synthetic H.264 (FU-A IDRs, single-NAL P frames) and AAC
 * with sender reports. `override` replaces any reply, for servers that misbehave.
 */
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A real 640x360 baseline SPS/PPS (from GStreamer's x264enc). */
export const SPROP = 'Z0LAHtoCgL/lwFqDAwNSgAAAAwCAAAAeR4sXUA==,aM48gA==';
const AAC_CONFIG = '1210'; // AAC-LC, 44.1 kHz, stereo

export interface FakeRequest {
  readonly method: string;
  readonly uri: string;
  readonly headers: ReadonlyMap<string, string>;
}

export interface FakeCameraOptions {
  readonly digest?: { readonly user: string; readonly password: string };
  /** DESCRIBE answers 302 to this URI. */
  readonly redirectTo?: string;
  readonly sessionTimeoutS?: number;
  /** Return raw bytes to send instead of the normal reply, or undefined to reply normally. */
  readonly override?: (request: FakeRequest, socket: Socket) => Buffer | string | undefined | 'silence';
  /** After PLAY, sends media: default true. */
  readonly media?: boolean;
  /** Called with each media packet before it is sent; may return other bytes (or undefined to skip). */
  readonly mangle?: (packet: Buffer, channel: number) => Buffer | undefined;
}

const REALM = 'fake camera';
const NONCE = 'a1b2c3d4e5';

export class FakeCamera {
  readonly requests: FakeRequest[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  mediaStopped = false;

  private constructor(
    private readonly server: Server,
    private readonly options: FakeCameraOptions,
  ) {}

  static async start(options: FakeCameraOptions = {}): Promise<FakeCamera> {
    const server = createServer();
    const camera = new FakeCamera(server, options);
    server.on('connection', (socket) => camera.serve(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return camera;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  url(path = '/cam', auth = ''): string {
    return `rtsp://${auth}127.0.0.1:${this.port}${path}`;
  }

  methods(): string[] {
    return this.requests.map((r) => r.method);
  }

  /** Keeps the connection open but sends no more media (a frozen camera). */
  stopMedia(): void {
    this.mediaStopped = true;
  }

  /** Drops every connection at once, as a camera that loses power. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.dropConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (buffer[0] === 0x24) {
          // interleaved RTCP from the client (receiver reports)
          if (buffer.length < 4 || buffer.length < 4 + buffer.readUInt16BE(2)) return;
          buffer = buffer.subarray(4 + buffer.readUInt16BE(2));
          continue;
        }
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        const [line = '', ...headerLines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
        buffer = buffer.subarray(end + 4);
        const [method = '', uri = ''] = line.split(' ');
        const headers = new Map(
          headerLines.map((h) => [
            h.slice(0, h.indexOf(':')).toLowerCase(),
            h.slice(h.indexOf(':') + 1).trim(),
          ]),
        );
        this.answer({ method, uri, headers }, socket);
      }
    });
  }

  private answer(request: FakeRequest, socket: Socket): void {
    this.requests.push(request);
    const override = this.options.override?.(request, socket);
    if (override === 'silence') return;
    if (override !== undefined) return void socket.write(override);
    const cseq = request.headers.get('cseq') ?? '0';
    const reply = (status: string, headers: string[] = [], body = ''): void =>
      void socket.write(
        [
          `RTSP/1.0 ${status}`,
          `CSeq: ${cseq}`,
          ...headers,
          ...(body ? [`Content-Length: ${Buffer.byteLength(body)}`] : []),
        ].join('\r\n') + `\r\n\r\n${body}`,
      );
    if (this.options.digest !== undefined && !this.authorized(request)) {
      return reply('401 Unauthorized', [`WWW-Authenticate: Digest realm="${REALM}", nonce="${NONCE}"`]);
    }
    const timeout = this.options.sessionTimeoutS ?? 60;
    switch (request.method) {
      case 'OPTIONS':
        return reply('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN']);
      case 'DESCRIBE':
        if (this.options.redirectTo !== undefined)
          return reply('302 Found', [`Location: ${this.options.redirectTo}`]);
        return reply('200 OK', ['Content-Type: application/sdp', `Content-Base: ${request.uri}/`], sdp());
      case 'SETUP':
        return reply('200 OK', [
          `Transport: ${request.headers.get('transport')}`,
          `Session: fake42;timeout=${timeout}`,
        ]);
      case 'PLAY':
        reply('200 OK', [
          'Session: fake42',
          'RTP-Info: url=trackID=1;seq=1;rtptime=1000,url=trackID=2;seq=1;rtptime=500',
        ]);
        if (this.options.media !== false) this.sendMedia(socket);
        return;
      default:
        return reply('200 OK', ['Session: fake42']);
    }
  }

  private authorized(request: FakeRequest): boolean {
    const { user, password } = this.options.digest!;
    const header = request.headers.get('authorization') ?? '';
    const field = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(header)?.[1];
    const md5 = (text: string) => createHash('md5').update(text).digest('hex');
    const expected = md5(
      `${md5(`${user}:${REALM}:${password}`)}:${NONCE}:${md5(`${request.method}:${field('uri')}`)}`,
    );
    return field('username') === user && field('response') === expected;
  }

  /** 30 fps video (IDR each second, sent as FU-A) and 44.1 kHz AAC, with sender reports twice a second. */
  private sendMedia(socket: Socket): void {
    const startMs = Date.now();
    const sequences = [0, 0];
    let videoFrames = 0;
    let audioFrames = 0;
    const send = (channel: number, packet: Buffer) => {
      const bytes = this.options.mangle === undefined ? packet : this.options.mangle(packet, channel);
      if (bytes === undefined || socket.destroyed) return;
      socket.write(Buffer.concat([Buffer.of(0x24, channel, bytes.length >> 8, bytes.length & 0xff), bytes]));
    };
    const timer = setInterval(() => {
      if (this.mediaStopped || socket.destroyed) return;
      const elapsedMs = Date.now() - startMs;
      for (; (videoFrames * 1000) / 30 <= elapsedMs; videoFrames++) {
        const timestamp = 1000 + videoFrames * 3000;
        for (const { data, marker } of videoPayloads(videoFrames % 30 === 0)) {
          send(0, rtp(96, ++sequences[0]!, timestamp, marker, data));
        }
        if (videoFrames % 15 === 0) {
          const wallMs = startMs + (videoFrames * 1000) / 30;
          send(1, senderReport(0x1111, wallMs, timestamp));
          send(3, senderReport(0x2222, wallMs, 500 + Math.round((wallMs - startMs) * 44.1)));
        }
      }
      for (; (audioFrames * 1024 * 1000) / 44100 <= elapsedMs; audioFrames++) {
        send(2, rtp(97, ++sequences[1]!, 500 + audioFrames * 1024, true, aacPayload(200)));
      }
    }, 10);
    this.timers.add(timer);
    socket.on('close', () => clearInterval(timer));
  }
}

function sdp(): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=fake',
    't=0 0',
    'm=video 0 RTP/AVP 96',
    'a=rtpmap:96 H264/90000',
    `a=fmtp:96 packetization-mode=1;sprop-parameter-sets=${SPROP}`,
    'a=control:trackID=1',
    'm=audio 0 RTP/AVP 97',
    'a=rtpmap:97 MPEG4-GENERIC/44100/2',
    `a=fmtp:97 streamtype=5;mode=AAC-hbr;config=${AAC_CONFIG};sizelength=13;indexlength=3;indexdeltalength=3`,
    'a=control:trackID=2',
    '',
  ].join('\r\n');
}

export function rtp(
  payloadType: number,
  sequence: number,
  timestamp: number,
  marker: boolean,
  payload: Buffer,
): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = (marker ? 0x80 : 0) | payloadType;
  header.writeUInt16BE(sequence & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(payloadType === 96 ? 0x1111 : 0x2222, 8);
  return Buffer.concat([header, payload]);
}

/** An IDR (type 5, 2500 bytes) as three FU-A packets, or a P slice (type 1) as one packet. */
function videoPayloads(idr: boolean): Array<{ data: Buffer; marker: boolean }> {
  if (!idr) return [{ data: Buffer.concat([Buffer.of(0x41), Buffer.alloc(300, 7)]), marker: true }];
  const body = Buffer.alloc(2499, 9);
  const parts = [body.subarray(0, 1000), body.subarray(1000, 2000), body.subarray(2000)];
  return parts.map((part, i) => ({
    data: Buffer.concat([Buffer.of(0x7c, (i === 0 ? 0x80 : 0) | (i === 2 ? 0x40 : 0) | 5), part]),
    marker: i === 2,
  }));
}

/** One AU of `size` bytes with its AAC-hbr AU header (13-bit size, 3-bit index). */
export function aacPayload(size: number): Buffer {
  const header = Buffer.of(0, 16, size >> 5, (size & 0x1f) << 3);
  return Buffer.concat([header, Buffer.alloc(size, 0x21)]);
}

export function senderReport(ssrc: number, wallMs: number, rtpTimestamp: number): Buffer {
  const packet = Buffer.alloc(28);
  packet[0] = 0x80;
  packet[1] = 200;
  packet.writeUInt16BE(6, 2);
  packet.writeUInt32BE(ssrc, 4);
  const ntp = wallMs / 1000 + 2208988800;
  packet.writeUInt32BE(Math.floor(ntp) >>> 0, 8);
  packet.writeUInt32BE(Math.floor((ntp % 1) * 2 ** 32) >>> 0, 12);
  packet.writeUInt32BE(rtpTimestamp >>> 0, 16);
  return packet;
}
