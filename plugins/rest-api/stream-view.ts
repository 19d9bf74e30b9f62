import { Type, type Static } from '@sinclair/typebox';
import type { Stream } from '../../core/index.js';

/** A published stream as /stream/find and /stream/find_all show it (the reference's field names). */
export const STREAM_VIEW_SCHEMA = Type.Object({
  mediaSessionId: Type.String({ examples: ['5a072377-73c1-4caf-abd3-8f6e1c7a2d11'] }),
  name: Type.String({ examples: ['test'] }),
  published: Type.Literal(true),
  status: Type.Literal('PUBLISHING'),
  source: Type.String({ description: 'rtmp, webrtc, rtsp, vod …', examples: ['rtmp'] }),
  hasAudio: Type.Boolean(),
  hasVideo: Type.Boolean(),
  // A type list rather than TypeBox's Union (anyOf): the document keeps the plain spelling.
  audioCodec: Type.Unsafe<string | null>({
    type: ['string', 'null'],
    description: 'null without an audio track',
    examples: ['aac'],
  }),
  videoCodec: Type.Unsafe<string | null>({
    type: ['string', 'null'],
    description: 'null without a video track',
    examples: ['h264'],
  }),
  record: Type.Boolean({ description: 'Whether the publisher asked for the stream to be recorded' }),
  login: Type.String(),
  viewers: Type.Integer({ minimum: 0, description: 'Viewers right now, every play protocol together' }),
  viewersByProtocol: Type.Record(Type.String(), Type.Integer({ minimum: 1 }), {
    description: 'Viewers right now by play protocol (only protocols with viewers)',
    examples: [{ webrtc: 2, rtmp: 1 }],
  }),
});

export type StreamView = Static<typeof STREAM_VIEW_SCHEMA>;

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
    viewers: Object.values(stream.viewers).reduce((sum, count) => sum + count, 0),
    viewersByProtocol: { ...stream.viewers },
  };
}
