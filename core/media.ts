/**
 * Spool's canonical media model. Ingest plugins convert to it, writers and players convert from it.
 * Timestamps are integers in the track's timescale (video 90000, audio its sample rate) so no
 * rounding creeps in: audio sample durations stay exactly 1024 for AAC.
 */
export type VideoCodec = 'h264' | 'vp8';
/** Vorbis only comes out of the transcoder (WebM set to Vorbis); no ingest produces it. */
export type AudioCodec = 'aac' | 'opus' | 'pcma' | 'pcmu' | 'vorbis';
export type Codec = VideoCodec | AudioCodec;
export type TrackKind = 'video' | 'audio';

interface TrackBase {
  /** Stable within a stream; frames refer to their track by this id. */
  readonly id: number;
  readonly timescale: number;
  /**
   * Decoder configuration: H.264 avcC, AAC AudioSpecificConfig, Opus identification header; Vorbis: its
   * three header packets (identification, comment, setup) Xiph-laced as Matroska's CodecPrivate holds
   * them (a byte 2, the laced lengths of the first two, then the three packets), so writers copy it as is.
   * May be absent until the publisher has sent it; the track is then updated on the stream.
   */
  readonly config?: Uint8Array;
}

export interface VideoTrack extends TrackBase {
  readonly kind: 'video';
  readonly codec: VideoCodec;
  readonly width?: number;
  readonly height?: number;
}

export interface AudioTrack extends TrackBase {
  readonly kind: 'audio';
  readonly codec: AudioCodec;
  readonly sampleRate: number;
  readonly channels: number;
}

export type Track = VideoTrack | AudioTrack;

export interface Frame {
  readonly trackId: number;
  /** H.264: AVCC (4-byte lengths). AAC: raw, no ADTS. Opus, VP8, G.711: raw. */
  readonly data: Uint8Array;
  readonly dts: number;
  readonly pts: number;
  /** True for video keyframes; audio frames are always independently decodable. */
  readonly keyframe: boolean;
  /** Server wall-clock time (ms since epoch) when the frame arrived. */
  readonly arrivalMs: number;
}

export type StreamSource = 'rtmp' | 'webrtc' | 'rtsp' | 'vod' | 'test' | (string & {});
