import type { Stream } from '../../core/index.js';
import type { JsonSchema } from './json-schema.js';

/** A published stream as /stream/find and /stream/find_all show it (the reference's field names). */
export interface StreamView {
  readonly mediaSessionId: string;
  readonly name: string;
  readonly published: true;
  readonly status: 'PUBLISHING';
  readonly source: string;
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
  readonly audioCodec: string | null;
  readonly videoCodec: string | null;
  readonly record: boolean;
  readonly login: string;
}

/** Streams on the bus are published: an ended stream leaves the bus at once. */
export function streamView(stream: Stream): StreamView {
  const audio = stream.tracks.find((track) => track.kind === 'audio');
  const video = stream.tracks.find((track) => track.kind === 'video');
  return {
    mediaSessionId: stream.mediaSessionId,
    name: stream.name,
    published: true,
    status: 'PUBLISHING',
    source: stream.source,
    hasAudio: audio !== undefined,
    hasVideo: video !== undefined,
    audioCodec: audio?.codec ?? null,
    videoCodec: video?.codec ?? null,
    record: stream.record,
    login: stream.login,
  };
}

export const STREAM_VIEW_SCHEMA: JsonSchema = {
  type: 'object',
  required: [
    'mediaSessionId',
    'name',
    'published',
    'status',
    'source',
    'hasAudio',
    'hasVideo',
    'audioCodec',
    'videoCodec',
    'record',
    'login',
  ],
  properties: {
    mediaSessionId: { type: 'string', examples: ['5a072377-73c1-4caf-abd3-8f6e1c7a2d11'] },
    name: { type: 'string', examples: ['test'] },
    published: { type: 'boolean', const: true },
    status: { type: 'string', const: 'PUBLISHING' },
    source: { type: 'string', description: 'rtmp, webrtc, rtsp, vod …', examples: ['rtmp'] },
    hasAudio: { type: 'boolean' },
    hasVideo: { type: 'boolean' },
    audioCodec: { type: ['string', 'null'], description: 'null without an audio track', examples: ['aac'] },
    videoCodec: { type: ['string', 'null'], description: 'null without a video track', examples: ['h264'] },
    record: { type: 'boolean', description: 'Whether the publisher asked for the stream to be recorded' },
    login: { type: 'string' },
  },
};
