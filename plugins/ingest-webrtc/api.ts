import { createToken } from '../../core/index.js';

/** The WebRTC (WHIP) ingest as other plugins, tests and embedding code see it. */
export interface WebRtcIngest {
  /** WHIP publishers right now (answered, until their session closes). */
  readonly publishers: number;
}

/** Publishers POST their SDP offer to `${WHIP_PATH}/NAME`. */
export const WHIP_PATH = '/whip';

export const WebRtcIngestToken = createToken<WebRtcIngest>('ingest-webrtc.server');
