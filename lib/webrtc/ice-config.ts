import { isIP } from 'node:net';
import { positiveInteger, type ConfigSchema } from '../../core/index.js';

/**
 * Where a WebRTC plugin's peer connections offer ICE candidates and take their UDP ports.
 *
 * One owner: ingest-webrtc mounts `iceConfigSchema` as its `ice` section and provides the validated
 * settings as `WebRtcIceToken` (plugins/ingest-webrtc/api.ts). Another WebRTC plugin (play-webrtc)
 * lists ingest-webrtc in `optionalDependsOn` and uses `ctx.tryUse(WebRtcIceToken)` when it is enabled,
 * so both plugins' sockets share one address list and one port range; only without ingest-webrtc does
 * it fall back to an `ice` section of its own built from this same fragment. The properties keys map
 * onto every enabled plugin's section alike, so an operator's flashphoner.properties means one set of
 * addresses and ports whichever plugins are enabled.
 */
export interface IceSettings {
  /** Host candidates are offered on these addresses only; empty = every non-internal interface. */
  addresses: readonly string[];
  /** Also offered as a host candidate on the same ports (a server behind 1:1 NAT). */
  publicAddress: string;
  portMin: number;
  portMax: number;
  ipv6: boolean;
  receiveBufferBytes: number;
}

function ipList(value: unknown): void {
  if (!Array.isArray(value) || value.some((address) => typeof address !== 'string' || isIP(address) === 0)) {
    throw new Error('must be a list of IP addresses');
  }
}

function ipOrEmpty(value: unknown): void {
  if (typeof value !== 'string' || (value !== '' && isIP(value) === 0)) {
    throw new Error('must be an IP address or empty');
  }
}

/**
 * The `ice` section of a WebRTC plugin's config schema. The properties keys mapped here (`ip`,
 * `ip_local`, `media_port_from`, `media_port_to`) are the reference server's names for the same
 * things; its two documents do not list them, but its flashphoner.properties files carry them, so an
 * operator's file keeps working.
 */
export const iceConfigSchema: ConfigSchema<IceSettings> = {
  addresses: {
    doc: 'Addresses to offer ICE host candidates on (127.0.0.1 for tests); empty = every non-internal interface',
    format: ipList,
    default: [],
    property: 'ip_local',
    fromProperty: (raw) =>
      raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
  },
  publicAddress: {
    doc: 'Public address of a server behind NAT, offered as an extra candidate with the same ports; empty = none',
    format: ipOrEmpty,
    default: '',
    property: 'ip',
  },
  portMin: {
    doc: 'Lowest UDP port for media; 0 (with portMax 0) = any free port',
    format: 'port',
    default: 0,
    property: 'media_port_from',
  },
  portMax: { doc: 'Highest UDP port for media', format: 'port', default: 0, property: 'media_port_to' },
  ipv6: { doc: 'Also gather IPv6 host candidates', format: Boolean, default: false },
  receiveBufferBytes: {
    doc:
      "SO_RCVBUF of each peer connection's UDP socket; the kernel caps it at net.core.rmem_max. The default " +
      '(~208 KB) overflows in a few tens of ms without CPU at 1.5 Mbps, and every overflow is a lost packet',
    format: positiveInteger,
    default: 4 * 1024 * 1024,
  },
};

/**
 * What convict cannot check alone: the port range's ends must agree. `keyPrefix` is where the
 * section is mounted (`ingest-webrtc.ice`), so the message names the operator's keys.
 */
export function iceSettingsProblem(ice: Readonly<IceSettings>, keyPrefix: string): string | undefined {
  const { portMin, portMax } = ice;
  if ((portMin !== 0 || portMax !== 0) && (portMin === 0 || portMax === 0 || portMax <= portMin)) {
    return `${keyPrefix}.portMin (${portMin}) and portMax (${portMax}) must both be set, portMin < portMax`;
  }
  return undefined;
}
