import type { RTCPeerConnection } from 'werift';
import { iceConnections } from './werift-internals.js';

/**
 * werift 0.25.2 checks ICE consent (RFC 7675) every 4–6 s and gives each check max(500 ms,
 * 2 × RTT + 200 ms) to be answered, RTT being the last check's; consent expires — and the
 * connection fails — 30 s after the last answer that came in time. On loopback or a LAN the RTT
 * is ~1 ms, so every answer must be handled within 500 ms, by both peers' event loops. A server
 * recording many streams can lag that much for a few seconds (measured: 200–400 ms with 25
 * WebRTC streams and their transcoders on 2 cores), and then every check fails and every
 * publisher is dropped although its media arrives. RFC 7675 asks for no such deadline (it only
 * requires an answer within 30 s); browsers retransmit their checks for seconds.
 *
 * werift has no option for it, so the RTT it computes the deadline from is kept at least
 * `floorSeconds` through its internals (werift-internals.ts: each ICE transport's nominated pair);
 * nothing else in werift reads that RTT but getStats(). Returns how many pairs were set; 0 when
 * the internals were not found (another werift version) or no pair is nominated yet.
 */
export function relaxConsentDeadline(pc: RTCPeerConnection, floorSeconds: number): number {
  let set = 0;
  for (const { nominated: pair } of iceConnections(pc)) {
    if (pair === undefined || pair === null) continue;
    if (!(typeof pair.rtt === 'number' && pair.rtt >= floorSeconds)) pair.rtt = floorSeconds;
    set++;
  }
  return set;
}
