/**
 * What other plugins may use of the transcoder: the names of the converted streams it brings onto the
 * bus for players (see docs/transcoding.md, "Converted streams for players"). A play plugin builds the name
 * with `convertedStreamName` and calls `bus.demand(name)`; it needs no token and no running transcoder to
 * build it (without the transcoder plugin, the demand is a 404). Stateless code only.
 */
import type { AudioCodec } from '../../core/index.js';

/** The audio codecs a converted stream can have: Opus for WebRTC players, AAC for RTMP (and HLS) players. */
export const CONVERTED_CODECS = ['opus', 'aac'] as const satisfies readonly AudioCodec[];

export type ConvertedCodec = (typeof CONVERTED_CODECS)[number];

/** Every converted stream's name starts with this, then the codec, a colon and the source's name. */
export const CONVERTED_STREAM_PREFIX = 'converted:';

/**
 * The name of the stream `source` with its audio in `codec`: `converted:opus:NAME`. Demanding it starts
 * the conversion (or joins the one running); `source` may itself be a name a provider pulls (`rtsp://…`).
 */
export function convertedStreamName(codec: ConvertedCodec, source: string): string {
  return `${CONVERTED_STREAM_PREFIX}${codec}:${source}`;
}

/** The codec and the source of a converted stream's name; undefined for any other name. */
export function parseConvertedStreamName(
  name: string,
): { readonly codec: ConvertedCodec; readonly source: string } | undefined {
  if (!name.startsWith(CONVERTED_STREAM_PREFIX)) return undefined;
  const rest = name.slice(CONVERTED_STREAM_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon === -1) return undefined;
  const codec = CONVERTED_CODECS.find((c) => c === rest.slice(0, colon));
  const source = rest.slice(colon + 1);
  return codec === undefined || source === '' ? undefined : { codec, source };
}
