import { positiveInteger, type ConfigSchema } from '../../core/index.js';
import { iceConfigSchema, iceSettingsProblem, type IceSettings } from '../../lib/webrtc/ice-config.js';

export interface IngestWebRtcConfig {
  ice: IceSettings;
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

/** `LOGIN:TOKEN` items: the token a publisher presents decides its login. */
function loginTokens(value: unknown): void {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || !/^[^:]+:\S+$/.test(item))) {
    throw new Error('must be a list of LOGIN:TOKEN items');
  }
}

export const ingestWebRtcSchema: ConfigSchema<IngestWebRtcConfig> = {
  ice: iceConfigSchema,
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
  const iceProblem = iceSettingsProblem(config.ice, 'ingest-webrtc.ice');
  if (iceProblem !== undefined) return iceProblem;
  if (config.bitrate.startKbps > config.bitrate.maxKbps) {
    return `ingest-webrtc.bitrate.startKbps (${config.bitrate.startKbps}) is above bitrate.maxKbps (${config.bitrate.maxKbps})`;
  }
  if (config.auth.enabled && config.auth.tokens.length === 0) {
    return 'ingest-webrtc.auth.enabled is true but ingest-webrtc.auth.tokens is empty: no one could publish';
  }
  return undefined;
}
