import type { Socket } from 'node:dgram';
import type { RTCPeerConnection } from 'werift';

/**
 * The UDP sockets werift gathered ICE candidates on. werift 0.25.2 (pinned) has no option for
 * socket buffer sizes, so they are reached through its internals: the peer connection's ICE
 * transports → ICE connection → one STUN protocol per local address → UdpTransport → dgram socket.
 * Anything missing on that path (another werift version) yields no sockets: the caller logs it.
 */
export function iceSockets(pc: RTCPeerConnection): Socket[] {
  const sockets: Socket[] = [];
  for (const transport of pc.iceTransports as unknown as Array<Record<string, unknown>>) {
    const connection = transport.connection as { protocols?: unknown[] } | undefined;
    for (const protocol of connection?.protocols ?? []) {
      const socket = (protocol as { transport?: { socket?: unknown } }).transport?.socket;
      if (isDgramSocket(socket)) sockets.push(socket);
    }
  }
  return sockets;
}

/**
 * Asks for a `bytes` receive buffer on every ICE socket of `pc`; Linux caps it at
 * net.core.rmem_max and reports double what it grants. Returns the sizes the sockets report.
 */
export function enlargeReceiveBuffers(pc: RTCPeerConnection, bytes: number): number[] {
  return iceSockets(pc).map((socket) => {
    socket.setRecvBufferSize(bytes);
    return socket.getRecvBufferSize();
  });
}

function isDgramSocket(value: unknown): value is Socket {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Socket).setRecvBufferSize === 'function' &&
    typeof (value as Socket).getRecvBufferSize === 'function'
  );
}
