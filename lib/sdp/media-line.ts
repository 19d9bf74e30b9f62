import type { MediaDescription } from './description.js';

export interface MediaLine {
  /** audio, video, application … */
  readonly type: string;
  readonly port: number;
  /** UDP/TLS/RTP/SAVPF, RTP/AVP … */
  readonly protocol: string;
}

/**
 * The fields of a section's m= line; undefined when sdp-transform could not read the line (it still
 * opens a section for it, with none of these fields).
 */
export function mediaLine(media: MediaDescription): MediaLine | undefined {
  const type = String(media.type ?? '');
  const port = String(media.port ?? '');
  const protocol = String(media.protocol ?? '');
  if (type === '' || !/^\d+$/.test(port) || protocol === '') return undefined;
  return { type, port: Number(port), protocol };
}

/** The payload types of the m= line, in its order (the offerer's order of preference). */
export function payloadTypes(media: MediaDescription): number[] {
  return String(media.payloads ?? '')
    .split(/\s+/)
    .filter((item) => item !== '')
    .map(Number)
    .filter(Number.isInteger);
}
