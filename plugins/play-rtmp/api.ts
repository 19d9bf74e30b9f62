import { createToken } from '../../core/index.js';

/** RTMP players as other plugins, tests and embedding code see them. */
export interface RtmpViewers {
  /** RTMP players of the stream with this mediaSessionId right now (0 for an unknown id). */
  viewers(mediaSessionId: string): number;
  /** RTMP players of every stream right now. */
  readonly total: number;
}

export const RtmpViewersToken = createToken<RtmpViewers>('play-rtmp.viewers');
