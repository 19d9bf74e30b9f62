import { positiveInteger, type ConfigSchema } from '../../core/index.js';

export interface PlayRtmpConfig {
  demandTimeoutMs: number;
  gopCacheSources: string[];
  gopCacheMaxBytes: number;
  playerBufferBytes: number;
  stallTimeoutMs: number;
}

export const PLAY_RTMP_CONFIG: ConfigSchema<PlayRtmpConfig> = {
  demandTimeoutMs: {
    doc: 'How long a play waits for a stream a provider pulls (an rtsp:// name, converted audio); keep it below ingest-rtmp.idleTimeoutMs',
    format: positiveInteger,
    default: 8000,
  },
  gopCacheSources: {
    doc: 'Sources whose streams keep their last GOP from publish on, so a new RTMP player starts at once (publishers that cannot be asked for a keyframe); empty = none, players wait for the next keyframe',
    format: (value: unknown) => {
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
        throw new Error('must be a list of stream sources such as "rtmp, rtsp"');
      }
    },
    default: ['rtmp'],
  },
  gopCacheMaxBytes: {
    doc: 'A cached GOP larger than this is dropped (players of that stream then wait for the next keyframe)',
    format: positiveInteger,
    default: 8 * 1024 * 1024,
  },
  playerBufferBytes: {
    doc: "Bytes a player's socket may hold unsent before the player stops taking frames (its bus queue then drops to the next keyframe)",
    format: positiveInteger,
    default: 1024 * 1024,
  },
  stallTimeoutMs: {
    doc: 'A player whose socket stays above playerBufferBytes this long is disconnected',
    format: positiveInteger,
    default: 5000,
  },
};
