/**
 * Vorbis out of ffmpeg: libvorbis in Ogg. A Vorbis stream's decoder configuration is its three header
 * packets, which libvorbis writes only once it encodes; the track announces the ones made ahead for the
 * same settings (vorbis-headers.ts), and the headers this ffmpeg writes must match them byte for byte, or
 * the recorded packets would not decode with the file's headers.
 */
import type { AudioTrack } from '../../core/index.js';
import { OggPacketReader } from './ogg.js';
import type { OutputFormat, OutputPacket } from './output-format.js';
import type { TranscoderSettings } from './settings.js';
import { vorbisEncoderArgs } from './vorbis-headers.js';
import { parseIdentification, VorbisPacketClock, xiphUnlace, type VorbisHeaders } from './vorbis.js';

/** Smaller than any Vorbis packet, so each Ogg page holds one packet and leaves ffmpeg without waiting. */
const PAGE_DURATION_US = 1;

export function vorbisOutput(
  input: AudioTrack,
  settings: TranscoderSettings,
  config: Uint8Array,
): OutputFormat {
  const announced = xiphUnlace(config);
  const { sampleRate, channels } = parseIdentification(announced.identification);
  if (sampleRate !== settings.sampleRate || channels !== settings.channels) {
    throw new Error(`the Vorbis headers are for ${sampleRate} Hz, ${channels} channels, not the settings'`);
  }
  const reader = new OggPacketReader();
  const clock = new VorbisPacketClock(announced);
  let headersRead = 0;
  return {
    track: {
      id: input.id,
      kind: 'audio',
      codec: 'vorbis',
      timescale: sampleRate,
      sampleRate,
      channels,
      config,
    },
    ffmpegArgs: [...vorbisEncoderArgs(settings), '-f', 'ogg', '-page_duration', String(PAGE_DURATION_US)],
    leadingPacketsToDrop: 0,
    parse(chunk) {
      const packets: OutputPacket[] = [];
      for (const data of reader.push(chunk)) {
        if (headersRead < 3) {
          checkHeader(headersRead++, data, announced);
          continue;
        }
        const { samples, leadIn } = clock.next(data);
        packets.push(leadIn > 0 ? { data, samples, leadIn } : { data, samples });
      }
      return packets;
    },
    get pendingBytes() {
      return reader.pendingBytes;
    },
  };
}

/** The identification and setup headers decide how packets decode; the comment header does not. */
function checkHeader(index: number, packet: Uint8Array, announced: VorbisHeaders): void {
  const name = (['identification', 'comment', 'setup'] as const)[index]!;
  const expected = announced[name];
  if (packet[0] !== expected[0]) throw new Error(`ffmpeg wrote no Vorbis ${name} header`);
  if (name !== 'comment' && !Buffer.from(packet).equals(expected)) {
    throw new Error(`ffmpeg's Vorbis ${name} header differs from the one the track announced`);
  }
}
