/**
 * werift peers of the benchmarks' child processes (WHIP publishers, WHEP viewers): ICE on loopback only,
 * as lib/webrtc/ice.ts configures the server side, and the wait for a connection.
 */
import type { RTCPeerConnection, RTCPeerConnectionConfig } from 'werift';

export const LOOPBACK_PEER_CONFIG: Partial<RTCPeerConnectionConfig> = {
  iceServers: [],
  iceUseIpv4: true,
  iceUseIpv6: false,
  iceAdditionalHostAddresses: ['127.0.0.1'],
  iceInterfaceAddresses: { udp4: '127.0.0.1' },
  iceFilterCandidatePair: (pair) => pair.protocol.localIp === '127.0.0.1',
  iceFilterStunResponse: (_message, [remoteAddress]) => remoteAddress.startsWith('127.'),
};

/** Resolves once the peer is connected; rejects after `timeoutMs`. */
export function connected(pc: RTCPeerConnection, timeoutMs = 20_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not connected after ${timeoutMs / 1000} s`)), timeoutMs);
    const check = () => {
      if (pc.connectionState === 'connected') {
        clearTimeout(timer);
        resolve();
      }
    };
    pc.connectionStateChange.subscribe(check);
    check();
  });
}
