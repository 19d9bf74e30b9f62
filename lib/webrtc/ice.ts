import { isIP } from 'node:net';
import type { RTCPeerConnectionConfig } from 'werift';
import type { IceSettings } from './ice-config.js';

const isLoopback = (address: string) => address.startsWith('127.') || address === '::1';

/**
 * werift's ICE options for the configured addresses. werift skips internal interfaces, so a
 * loopback address must be added explicitly; binding its sockets to the one configured address
 * keeps media off the other interfaces. A loopback candidate is only reachable from this host,
 * so STUN checks to it from elsewhere go unanswered: otherwise Chromium nominates a pair with its
 * external address (LIBRARY-NOTES). Candidates werift gathers on addresses that are not configured
 * are never paired (and `answerCandidates` leaves them out of the answer).
 */
export function iceOptions(ice: Readonly<IceSettings>): RTCPeerConnectionConfig {
  const options: RTCPeerConnectionConfig = {
    iceServers: [], // no STUN: candidates are the configured addresses (and publicAddress)
    iceUseIpv4: true,
    iceUseIpv6: ice.ipv6 || ice.addresses.some((address) => isIP(address) === 6),
    iceUseTcp: false,
    icePortRange: ice.portMin === 0 ? undefined : [ice.portMin, ice.portMax],
  };
  if (ice.addresses.length === 0) return options;
  const configured = new Set(ice.addresses);
  const onlyLoopback = ice.addresses.every(isLoopback);
  return {
    ...options,
    iceAdditionalHostAddresses: [...ice.addresses],
    iceInterfaceAddresses:
      ice.addresses.length === 1 ? { [socketType(ice.addresses[0]!)]: ice.addresses[0]! } : undefined,
    iceFilterCandidatePair: (pair) => configured.has(pair.protocol.localIp ?? ''),
    iceFilterStunResponse: (_message, [remoteAddress], protocol) =>
      configured.has(protocol.localIp ?? '') && (!onlyLoopback || isLoopback(remoteAddress)),
  };
}

function socketType(address: string): 'udp4' | 'udp6' {
  return isIP(address) === 6 ? 'udp6' : 'udp4';
}
