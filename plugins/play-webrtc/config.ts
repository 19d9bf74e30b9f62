import { positiveInteger, type ConfigSchema } from '../../core/index.js';
import { iceConfigSchema, iceSettingsProblem, type IceSettings } from '../../lib/webrtc/ice-config.js';

export interface PlayWebRtcConfig {
  ice: IceSettings;
  auth: { enabled: boolean; tokens: string[] };
  connectTimeoutMs: number;
  noFeedbackTimeoutMs: number;
  demandTimeoutMs: number;
  maxOfferBytes: number;
  maxRtpPayloadBytes: number;
  corsOrigin: string;
}

function loginTokens(value: unknown): void {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || !/^[^:]+:\S+$/.test(item))) {
    throw new Error('must be a list of LOGIN:TOKEN items');
  }
}

export const playWebRtcSchema: ConfigSchema<PlayWebRtcConfig> = {
  ice: iceConfigSchema,
  auth: {
    enabled: {
      doc: 'Without ingest-webrtc: WHEP viewers need Authorization: Bearer TOKEN (with it, its auth applies)',
      format: Boolean,
      default: false,
    },
    tokens: {
      doc: 'Without ingest-webrtc: accepted viewers as LOGIN:TOKEN items (with it, its tokens apply)',
      format: loginTokens,
      default: [],
      sensitive: true,
    },
  },
  connectTimeoutMs: {
    doc: 'Time from the answer to a connected ICE + DTLS transport before the viewer is dropped',
    format: positiveInteger,
    default: 15000,
  },
  noFeedbackTimeoutMs: {
    doc: 'A connected viewer that sends no RTCP (receiver reports, every ~1 s from browsers) for this long is gone',
    format: positiveInteger,
    default: 10000,
  },
  demandTimeoutMs: {
    doc: 'How long a WHEP request waits for a stream a provider pulls on demand (an rtsp:// camera, a conversion)',
    format: positiveInteger,
    default: 10000,
  },
  maxOfferBytes: {
    doc: 'Largest SDP offer accepted; larger ones are answered 413',
    format: positiveInteger,
    default: 65536,
  },
  maxRtpPayloadBytes: {
    doc: 'Largest RTP payload sent; bigger H.264 NAL units and VP8 frames are fragmented',
    format: positiveInteger,
    default: 1200,
  },
  corsOrigin: {
    doc: 'Access-Control-Allow-Origin for WHEP (players on other origins); empty = no CORS headers',
    format: String,
    default: '*',
  },
};

export function configProblem(config: Readonly<PlayWebRtcConfig>): string | undefined {
  const iceProblem = iceSettingsProblem(config.ice, 'play-webrtc.ice');
  if (iceProblem !== undefined) return iceProblem;
  if (config.maxRtpPayloadBytes < 200 || config.maxRtpPayloadBytes > 1400) {
    return `play-webrtc.maxRtpPayloadBytes (${config.maxRtpPayloadBytes}) must be between 200 and 1400`;
  }
  if (config.auth.enabled && config.auth.tokens.length === 0) {
    return 'play-webrtc.auth.enabled is true but play-webrtc.auth.tokens is empty: no one could play';
  }
  return undefined;
}

/**
 * The keys of this plugin's own section that the operator set (not their defaults) to something else
 * than the owner's, for the start-up warning: with ingest-webrtc enabled, its settings apply.
 */
export function overriddenKeys<T extends object>(own: T, shared: T, defaults: T): string[] {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return (Object.keys(own) as Array<keyof T>)
    .filter((key) => !same(own[key], defaults[key]) && !same(own[key], shared[key]))
    .map(String);
}

/** A section's defaults, from its schema. */
export function schemaDefaults<T>(schema: ConfigSchema<T>): T {
  return Object.fromEntries(
    Object.entries(schema as Record<string, { default: unknown }>).map(([key, setting]) => [
      key,
      setting.default,
    ]),
  ) as T;
}
