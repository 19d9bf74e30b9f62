import { createToken } from '../../core/index.js';
import type { IceSettings } from '../../lib/webrtc/ice-config.js';

/** The WebRTC (WHIP) ingest as other plugins, tests and embedding code see it. */
export interface WebRtcIngest {
  /** WHIP publishers right now (answered, until their session closes). */
  readonly publishers: number;
}

/** Publishers POST their SDP offer to `${WHIP_PATH}/NAME`. */
export const WHIP_PATH = '/whip';

export const WebRtcIngestToken = createToken<WebRtcIngest>('ingest-webrtc.server');

/**
 * ingest-webrtc's validated `ice` settings. ingest-webrtc owns ICE: another WebRTC plugin that lists
 * ingest-webrtc in optionalDependsOn takes these when it is enabled, so the operator's one address
 * list and port range hold for every peer connection of the server (lib/webrtc/ice-config.ts).
 */
export const WebRtcIceToken = createToken<Readonly<IceSettings>>('ingest-webrtc.ice');

/** Bearer auth of WHIP: whether it is on, and the accepted `LOGIN:TOKEN` items. */
export interface WebRtcAuthSettings {
  readonly enabled: boolean;
  readonly tokens: readonly string[];
}

/**
 * ingest-webrtc's validated `auth` settings, for another WebRTC plugin (WHEP playback) that takes the
 * same tokens when ingest-webrtc is enabled (check them with lib/http/bearer-token.ts).
 */
export const WebRtcAuthToken = createToken<WebRtcAuthSettings>('ingest-webrtc.auth');
