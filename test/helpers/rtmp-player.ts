/**
 * RTMP players for the play tests: ffmpeg as a real player, and a raw client that does the handshake
 * and the play command and then never reads (a stalled player, as a frozen app or a dead link is).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { FFMPEG } from './media-tools.js';

const require = createRequire(import.meta.url);
const amf = require('node-media-server/src/protocol/amf.js') as {
  encodeAmf0Cmd(command: Record<string, unknown>): Buffer;
};

export interface PlayResult {
  readonly code: number | null;
  /** What ffmpeg printed at its log level (`-v error`: empty = decoded cleanly). */
  readonly stderr: string;
  /** From spawn to exit. */
  readonly elapsedMs: number;
}

/** `ffmpeg -v error -i URL …args -f null -`: plays the URL as a player would and decodes everything. */
export async function ffmpegPlay(
  url: string,
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<PlayResult> {
  const started = Date.now();
  const child = spawn(
    FFMPEG,
    ['-hide_banner', '-nostdin', '-v', 'error', '-i', url, ...args, '-f', 'null', '-'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stderr: stderr.trim(), elapsedMs: Date.now() - started };
}

/** One RTMP chunk (fmt 0) holding a whole message: the client announced a chunk size big enough. */
function message(chunkStreamId: number, type: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = chunkStreamId;
  header.writeUIntBE(payload.length, 4, 3);
  header[7] = type;
  header.writeUInt32LE(streamId, 8);
  return Buffer.concat([header, payload]);
}

/**
 * Connects, handshakes, and sends connect, createStream and play for `rtmp://host:port/app/name`,
 * then stops reading: the server's writes pile up in the kernel's buffers and then in its own.
 */
export class StalledRtmpPlayer {
  private constructor(readonly socket: Socket) {}

  static async play(port: number, app: string, name: string): Promise<StalledRtmpPlayer> {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined); // the server cuts it: that is the point
    await once(socket, 'connect');
    const c1 = Buffer.alloc(1536);
    socket.write(Buffer.concat([Buffer.of(3), c1]));
    const s0s1s2 = await readBytes(socket, 1 + 1536 * 2);
    socket.write(s0s1s2.subarray(1, 1 + 1536)); // C2 echoes S1
    const chunkSize = Buffer.alloc(4);
    chunkSize.writeUInt32BE(65536);
    const tcUrl = `rtmp://127.0.0.1:${port}/${app}`;
    socket.write(
      Buffer.concat([
        message(2, 1, 0, chunkSize),
        message(3, 20, 0, amf.encodeAmf0Cmd({ cmd: 'connect', transId: 1, cmdObj: { app, tcUrl } })),
        message(3, 20, 0, amf.encodeAmf0Cmd({ cmd: 'createStream', transId: 2, cmdObj: null })),
        message(8, 20, 1, amf.encodeAmf0Cmd({ cmd: 'play', transId: 0, cmdObj: null, streamName: name })),
      ]),
    );
    socket.pause();
    return new StalledRtmpPlayer(socket);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Reads exactly `length` bytes, then pauses the socket (more may have arrived; it is put back). */
function readBytes(socket: Socket, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < length) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (buffered.length > length) socket.unshift(buffered.subarray(length));
      resolve(buffered.subarray(0, length));
    };
    const onClose = () => reject(new Error(`connection closed after ${buffered.length} of ${length} bytes`));
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
