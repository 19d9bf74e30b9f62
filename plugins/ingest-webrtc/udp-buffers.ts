import type { Socket } from 'node:dgram';
import type { RTCPeerConnection } from 'werift';
import { iceConnections } from './werift-internals.js';

/** The UDP sockets werift gathered ICE candidates on (werift-internals.ts). */
export function iceSockets(pc: RTCPeerConnection): Socket[] {
  const sockets: Socket[] = [];
  for (const connection of iceConnections(pc)) {
    for (const protocol of connection.protocols ?? []) {
      const socket = protocol.transport?.socket;
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
