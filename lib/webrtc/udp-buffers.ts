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

/**
 * The smallest buffer the kernel granted, from the sizes `enlargeReceiveBuffers` returned; undefined
 * when no socket was reached (another werift version). Linux reports twice the size it grants (the
 * rest is its bookkeeping).
 */
export function grantedReceiveBufferBytes(reportedSizes: readonly number[]): number | undefined {
  if (reportedSizes.length === 0) return undefined;
  const smallest = Math.min(...reportedSizes);
  return process.platform === 'linux' ? smallest / 2 : smallest;
}

function isDgramSocket(value: unknown): value is Socket {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Socket).setRecvBufferSize === 'function' &&
    typeof (value as Socket).getRecvBufferSize === 'function'
  );
}
