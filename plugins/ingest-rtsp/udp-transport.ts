import { createSocket, type Socket } from 'node:dgram';
import { RtspError } from './rtsp-error.js';

const BIND_ATTEMPTS = 20;

/**
 * The two UDP sockets of one track (RTP on an even port, RTCP on the next, RFC 3550 §11).
 * Only datagrams from the camera's address are taken: anyone can send to an open UDP port.
 */
export class UdpPair {
  private remote: { address: string; rtcpPort: number } | undefined;
  private closed = false;

  private constructor(
    private readonly rtp: Socket,
    private readonly rtcp: Socket,
    readonly rtpPort: number,
    private readonly expectedAddress: string,
  ) {}

  /** Binds a pair on `localAddress` ('' = any) for media from `serverAddress`. */
  static async open(localAddress: string, serverAddress: string, ipv6: boolean): Promise<UdpPair> {
    const type = ipv6 ? 'udp6' : 'udp4';
    const any = ipv6 ? '::' : '0.0.0.0';
    for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
      const rtp = createSocket(type);
      const port = await bind(rtp, localAddress || any, 0).catch(() => undefined);
      if (port === undefined || port % 2 !== 0 || port === 65535) {
        rtp.close();
        continue;
      }
      const rtcp = createSocket(type);
      if ((await bind(rtcp, localAddress || any, port + 1).catch(() => undefined)) === undefined) {
        rtp.close();
        rtcp.close();
        continue;
      }
      return new UdpPair(rtp, rtcp, port, serverAddress);
    }
    throw new RtspError('network', `no pair of free UDP ports on ${localAddress || any}`);
  }

  get rtcpPort(): number {
    return this.rtpPort + 1;
  }

  /**
   * Starts delivering datagrams from the camera. A handler that throws is reported to `onError`,
   * never left to escape from the socket's event (that would end the process).
   */
  listen(
    onRtp: (packet: Buffer) => void,
    onRtcp: (packet: Buffer) => void,
    onError: (error: unknown) => void,
  ): void {
    const fromCamera = (handler: (packet: Buffer) => void) => (packet: Buffer, from: { address: string }) => {
      if (this.closed || !sameAddress(from.address, this.expectedAddress)) return;
      try {
        handler(packet);
      } catch (error) {
        onError(error);
      }
    };
    this.rtp.on('message', fromCamera(onRtp));
    this.rtcp.on('message', fromCamera(onRtcp));
  }

  /** Where RTCP receiver reports go (the server_port pair of the SETUP reply). */
  setServerRtcpPort(rtcpPort: number): void {
    this.remote = { address: this.expectedAddress, rtcpPort };
  }

  sendRtcp(packet: Buffer): void {
    if (this.remote === undefined || this.closed) return;
    this.rtcp.send(packet, this.remote.rtcpPort, this.remote.address, () => {
      // best effort: a lost receiver report is harmless
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rtp.close();
    this.rtcp.close();
  }
}

function bind(socket: Socket, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // Errors after binding (ICMP unreachable on send) must not become uncaught exceptions.
    socket.on('error', (error) => reject(error));
    socket.bind(port, address, () => resolve(socket.address().port));
  });
}

function sameAddress(a: string, b: string): boolean {
  const plain = (address: string) => address.replace(/^::ffff:/, '');
  return plain(a) === plain(b);
}
