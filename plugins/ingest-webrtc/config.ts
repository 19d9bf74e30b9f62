import { isIP } from 'node:net';
import { positiveInteger, type ConfigSchema } from '../../core/index.js';

export interface IngestWebRtcConfig {
  ice: {
    /** Host candidates are offered on these addresses only; empty = every non-internal interface. */
    addresses: string[];
    /** Also offered as a host candidate on the same ports (a server behind 1:1 NAT). */
    publicAddress: string;
    portMin: number;
    portMax: number;
    ipv6: boolean;
    receiveBufferBytes: number;
  };
  keyframeIntervalMs: number;
  bitrate: { startKbps: number; maxKbps: number };
  noMediaTimeoutMs: number;
  connectTimeoutMs: number;
  syncWaitMs: number;
  maxPendingFrames: number;
  jitterLatencyMs: number;
  maxOfferBytes: number;
  corsOrigin: string;
  auth: { enabled: boolean; tokens: string[] };
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

/** `LOGIN:TOKEN` items: the token a publisher presents decides its login. */
function loginTokens(value: unknown): void {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || !/^[^:]+:\S+$/.test(item))) {
    throw new Error('must be a list of LOGIN:TOKEN items');
  }
}

/**
 * The properties keys mapped here (`ip`, `ip_local`, `media_port_from`, `media_port_to`) are the
 * reference server's names for the same things; its two documents do not list them, but its
 * flashphoner.properties files carry them, so an operator's file keeps working.
 */
export const ingestWebRtcSchema: ConfigSchema<IngestWebRtcConfig> = {
  ice: {
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
        "SO_RCVBUF of each publisher's UDP socket; the kernel caps it at net.core.rmem_max. The default " +
        '(~208 KB) overflows in a few tens of ms without CPU at 1.5 Mbps, and every overflow is a lost packet',
      format: positiveInteger,
      default: 4 * 1024 * 1024,
    },
  },
  keyframeIntervalMs: {
    doc: 'Ask the publisher for a keyframe (PLI) when none arrived for this long; 0 = only on demand',
    format: 'nat',
    default: 2000,
  },
  bitrate: {
    startKbps: {
      doc: 'Video bitrate browsers start at (x-google-start-bitrate in the answer) instead of ~300 kbps',
      format: positiveInteger,
      default: 2000,
    },
    maxKbps: {
      doc: 'Bitrate announced to publishers as the receive limit (REMB, sent every second)',
      format: positiveInteger,
      default: 8000,
    },
  },
  noMediaTimeoutMs: {
    doc: 'A publisher that sends no RTP for this long is gone: its stream ends',
    format: positiveInteger,
    default: 5000,
  },
  connectTimeoutMs: {
    doc: 'Time from the answer to a connected ICE + DTLS transport before the publish is dropped',
    format: positiveInteger,
    default: 15000,
  },
  syncWaitMs: {
    doc: 'How long to hold the first frames waiting for RTCP sender reports (A/V sync) before using arrival times',
    format: positiveInteger,
    default: 6000,
  },
  maxPendingFrames: {
    doc: 'Frames held per publisher while waiting for A/V sync; beyond this the oldest are dropped',
    format: positiveInteger,
    default: 2000,
  },
  jitterLatencyMs: {
    doc: 'How long a missing RTP packet is waited for (NACK retransmission) before it counts as lost',
    format: positiveInteger,
    default: 250,
  },
  maxOfferBytes: {
    doc: 'Largest SDP offer accepted; larger ones are answered 413',
    format: positiveInteger,
    default: 65536,
  },
  corsOrigin: {
    doc: 'Access-Control-Allow-Origin for WHIP (browser pages on other origins); empty = no CORS headers',
    format: String,
    default: '*',
  },
  auth: {
    enabled: {
      doc: 'WHIP publishers need Authorization: Bearer TOKEN; the token gives the login',
      format: Boolean,
      default: false,
    },
    tokens: {
      doc: 'Accepted publishers as LOGIN:TOKEN items (a list; "a:t1,b:t2" in --set and the environment)',
      format: loginTokens,
      default: [],
      sensitive: true,
    },
  },
};

/** What convict cannot check alone: settings that must agree with each other. */
export function configProblem(config: Readonly<IngestWebRtcConfig>): string | undefined {
  const { portMin, portMax } = config.ice;
  if ((portMin !== 0 || portMax !== 0) && (portMin === 0 || portMax === 0 || portMax <= portMin)) {
    return `ingest-webrtc.ice.portMin (${portMin}) and portMax (${portMax}) must both be set, portMin < portMax`;
  }
  if (config.bitrate.startKbps > config.bitrate.maxKbps) {
    return `ingest-webrtc.bitrate.startKbps (${config.bitrate.startKbps}) is above bitrate.maxKbps (${config.bitrate.maxKbps})`;
  }
  if (config.auth.enabled && config.auth.tokens.length === 0) {
    return 'ingest-webrtc.auth.enabled is true but ingest-webrtc.auth.tokens is empty: no one could publish';
  }
  return undefined;
}
