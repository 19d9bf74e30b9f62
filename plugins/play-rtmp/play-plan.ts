/**
 * What an RTMP play of a name plays: the stream (published, or brought by a provider through
 * `bus.demand`), its H.264 video, and AAC audio — the stream's own, or for other audio (WebRTC's
 * Opus, a camera's G.711) the AAC track of `converted:aac:NAME`, which the transcoder's provider
 * converts once per stream for every player. That stream is assumed to keep NAME's timeline (time 0
 * and clock), so its audio lines up with NAME's video; only its AAC track is taken.
 */
import type { AudioTrack, Logger, Stream, StreamBus, VideoTrack } from '../../core/index.js';
import { errorMessage, isSpoolError, redactCredentials } from '../../core/index.js';
import { flvCarries } from '../../lib/flv/index.js';

export interface PlayPlan {
  readonly stream: Stream;
  readonly video: VideoTrack | undefined;
  /** Where the AAC comes from: `stream` itself, or the converted stream. */
  readonly audio: { readonly stream: Stream; readonly track: AudioTrack } | undefined;
}

export interface PlayRefusal {
  readonly code: 'NetStream.Play.StreamNotFound' | 'NetStream.Play.Failed';
  readonly description: string;
}

const CODEC_NAMES: Readonly<Record<string, string>> = {
  vp8: 'VP8',
  opus: 'Opus',
  pcma: 'G.711 A-law',
  pcmu: 'G.711 mu-law',
  vorbis: 'Vorbis',
};

export const CONVERTED_AAC_PREFIX = 'converted:aac:';

/**
 * The names a player may mean by what it sent: URL-decoded first (`my%20cam` → `my cam`,
 * `rtsp%3A%2F%2Fcam%2F1` → `rtsp://cam/1`), then as typed, because RTMP publishers' names are taken
 * undecoded (a stream published as `a%20b` is called that on the bus).
 */
export function candidateNames(sent: string): string[] {
  let decoded: string;
  try {
    decoded = decodeURIComponent(sent);
  } catch {
    return [sent];
  }
  return decoded === sent ? [sent] : [decoded, sent];
}

/** The name as logs may show it: decoded, without credentials. */
export function shownName(sent: string): string {
  return redactCredentials(candidateNames(sent)[0]!);
}

export async function planPlay(
  bus: StreamBus,
  sentName: string,
  options: { readonly timeoutMs: number; readonly log: Logger },
): Promise<PlayPlan | PlayRefusal> {
  const names = candidateNames(sentName);
  let stream = names.map((name) => bus.find(name)).find((found) => found !== undefined);
  if (stream === undefined) {
    try {
      stream = await bus.demand(names[0]!, { timeoutMs: options.timeoutMs });
    } catch (error) {
      return refusalOf(error, names[0]!);
    }
  }
  const video = stream.tracks.find((track) => track.kind === 'video');
  if (video !== undefined && !flvCarries(video)) {
    return {
      code: 'NetStream.Play.Failed',
      description: `NetStream.Play.Failed: stream "${stream.name}" has ${CODEC_NAMES[video.codec] ?? video.codec} video; RTMP plays H.264 only (play it over WebRTC)`,
    };
  }
  const audio = await audioOf(bus, stream, options);
  if (video === undefined && audio === undefined) {
    const codec = stream.tracks.find((track) => track.kind === 'audio')?.codec;
    return {
      code: 'NetStream.Play.Failed',
      description: `NetStream.Play.Failed: stream "${stream.name}" has nothing RTMP can carry${codec === undefined ? '' : ` (${CODEC_NAMES[codec] ?? codec} audio and no converter)`}`,
    };
  }
  return { stream, video, audio };
}

async function audioOf(
  bus: StreamBus,
  stream: Stream,
  options: { readonly timeoutMs: number; readonly log: Logger },
): Promise<PlayPlan['audio']> {
  const own = stream.tracks.find((track) => track.kind === 'audio');
  if (own === undefined) return undefined;
  if (flvCarries(own)) return { stream, track: own };
  const codec = CODEC_NAMES[own.codec] ?? own.codec;
  const convertedName = CONVERTED_AAC_PREFIX + stream.name;
  try {
    const converted = await bus.demand(convertedName, { timeoutMs: options.timeoutMs });
    const track = converted.tracks.find(
      (candidate): candidate is AudioTrack => candidate.kind === 'audio' && candidate.codec === 'aac',
    );
    if (track !== undefined) return { stream: converted, track };
    options.log.warn(
      { stream: stream.name },
      `RTMP play of "${stream.name}": "${convertedName}" has no AAC track; playing video only`,
    );
  } catch (error) {
    const missing = isSpoolError(error) && error.code === 'SPOOL_ERR_NOT_FOUND';
    options.log[missing ? 'info' : 'warn'](
      { stream: stream.name },
      missing
        ? `RTMP play of "${stream.name}": its ${codec} audio needs converting to AAC and no plugin provides "${convertedName}" (transcoder disabled?); playing video only`
        : `RTMP play of "${stream.name}": its ${codec} audio could not be converted (${errorMessage(error)}); playing video only`,
    );
  }
  return undefined;
}

function refusalOf(error: unknown, name: string): PlayRefusal {
  if (isSpoolError(error) && error.code === 'SPOOL_ERR_NOT_FOUND') {
    return {
      code: 'NetStream.Play.StreamNotFound',
      description: `NetStream.Play.StreamNotFound: ${error.message}`,
    };
  }
  return {
    code: 'NetStream.Play.Failed',
    description: `NetStream.Play.Failed: stream ${JSON.stringify(redactCredentials(name))} cannot be played: ${redactCredentials(errorMessage(error))}`,
  };
}
