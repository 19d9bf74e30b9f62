import type { RTCPeerConnection } from 'werift';

/**
 * werift 0.25.2 (pinned) keeps what Spool needs to tune out of its public API: each ICE transport's
 * connection, with its STUN protocols (one UDP transport per local address) and its nominated
 * candidate pair. Reached here only, shaped as loosely as possible; anything missing (another
 * werift version) yields nothing, and the callers log that once.
 */
export interface IceConnectionInternals {
  readonly protocols?: ReadonlyArray<{ readonly transport?: { readonly socket?: unknown } }>;
  readonly nominated?: { rtt?: unknown } | null;
}

export function iceConnections(pc: RTCPeerConnection): IceConnectionInternals[] {
  const connections: IceConnectionInternals[] = [];
  for (const transport of pc.iceTransports as unknown as Array<Record<string, unknown>>) {
    const connection = transport.connection;
    if (typeof connection === 'object' && connection !== null) connections.push(connection);
  }
  return connections;
}
