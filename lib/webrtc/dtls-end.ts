import type { RTCPeerConnection } from 'werift';

/**
 * Calls `onEnd` when a DTLS transport of `pc` is closed by the peer or fails. A DTLS close alert
 * means the peer is gone (`pc.close()` in a browser sends one), but werift's connection state does not
 * follow it. (A closed tab sends nothing at all: only a no-media timeout notices that.) Call it once
 * the local description is set: werift creates the DTLS transports then.
 */
export function onDtlsEnd(pc: RTCPeerConnection, onEnd: (reason: string) => void): void {
  for (const dtls of pc.dtlsTransports) {
    dtls.onStateChange.subscribe((state) => {
      if (state === 'closed') onEnd('the peer closed DTLS');
      else if (state === 'failed') onEnd('DTLS failed');
    });
  }
}
