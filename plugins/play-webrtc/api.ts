import { createToken } from '../../core/index.js';

/** WHEP playback as other plugins (rest-api), tests and embedding code see it. */
export interface WebRtcPlayback {
  /** WHEP sessions right now, from the answer until they close (connected or not yet). */
  readonly sessions: number;
  /** Connected viewers of the stream with this mediaSessionId (0 for an unknown id). */
  viewersOf(mediaSessionId: string): number;
  /** Connected viewers per mediaSessionId, for every stream that has some. */
  viewers(): ReadonlyMap<string, number>;
}

/** Viewers POST their SDP offer to `${WHEP_PATH}/NAME`. */
export const WHEP_PATH = '/whep';

export const WebRtcPlaybackToken = createToken<WebRtcPlayback>('play-webrtc.playback');
