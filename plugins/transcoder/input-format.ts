/**
 * How each input codec goes down ffmpeg's stdin: in a framing ffmpeg reads packet by packet from a
 * pipe (Ogg pages for Opus, raw bytes for G.711, ADTS for AAC), and how to make silence in it, which
 * fills gaps in the input so the converted audio stays in step with the stream's timeline.
 */
import { type AudioTrack } from '../../core/index.js';
import { aac, opus } from '../../lib/codecs/index.js';
import { AdtsWriter, silentAacFrame } from '../../lib/codecs/adts.js';
import { OGG_BOS, OggPageWriter } from './ogg.js';

/** Bytes for ffmpeg's stdin and the audio they hold, in samples of the input's own clock. */
export interface InputChunk {
  readonly bytes: Uint8Array;
  readonly samples: number;
}

export interface InputFormat {
  /** ffmpeg options that describe stdin (before `-i pipe:0`). */
  readonly ffmpegArgs: readonly string[];
  /** Samples per second of the codec's clock: 48000 for Opus, else the track's rate. */
  readonly sampleRate: number;
  /** Silence comes in frames of this many samples (1 for G.711). */
  readonly silenceFrameSamples: number;
  /** What ffmpeg reads before the first frame (Ogg headers), possibly nothing. */
  header(): Uint8Array;
  frame(data: Uint8Array): InputChunk;
  /** At most `samples` of silence, in whole frames; 0 samples when this input has no silent frame. */
  silence(samples: number): InputChunk;
}

const EMPTY: InputChunk = { bytes: new Uint8Array(0), samples: 0 };
const OPUS_RATE = 48000;
/** A 20 ms CELT frame that decodes to silence (TOC 0xf8: fullband, 20 ms, mono; decoders upmix it). */
const OPUS_SILENCE = Uint8Array.of(0xf8, 0xff, 0xfe);
const OPUS_SILENCE_SAMPLES = 960;
/** Any serial number will do: the pipe carries one logical stream. */
const OGG_SERIAL = 0x5350_4f4c;

/** Throws (with the reason) when Spool cannot feed this track to ffmpeg. */
export function inputFormatFor(track: AudioTrack): InputFormat {
  switch (track.codec) {
    case 'opus':
      return opusInput(track);
    case 'pcma':
    case 'pcmu':
      return g711Input(track.codec, track.sampleRate, track.channels);
    case 'aac':
      return aacInput(track);
    case 'vorbis':
      throw new Error('Vorbis is only an output codec: no publisher sends it');
  }
}

function opusInput(track: AudioTrack): InputFormat {
  const head =
    track.config ?? opus.buildOpusHead({ channels: track.channels, preSkip: 0, inputSampleRate: OPUS_RATE });
  opus.parseOpusHead(head); // throws on a config that is not an OpusHead
  const writer = new OggPageWriter(OGG_SERIAL);
  let granule = 0;
  const page = (packet: Uint8Array, samples: number): Uint8Array => {
    granule += samples;
    return writer.page(packet, granule);
  };
  return {
    ffmpegArgs: ['-f', 'ogg'],
    sampleRate: OPUS_RATE,
    silenceFrameSamples: OPUS_SILENCE_SAMPLES,
    header: () => Buffer.concat([writer.page(head, 0, OGG_BOS), writer.page(opusTags(), 0)]),
    frame(data) {
      const samples = opus.opusPacketSamples(data);
      // An empty or truncated packet would stop ffmpeg's decoder; it carries no audio anyway.
      return samples === 0 ? EMPTY : { bytes: page(data, samples), samples };
    },
    silence(samples) {
      const count = Math.floor(samples / OPUS_SILENCE_SAMPLES);
      const pages = Array.from({ length: count }, () => page(OPUS_SILENCE, OPUS_SILENCE_SAMPLES));
      return { bytes: Buffer.concat(pages), samples: count * OPUS_SILENCE_SAMPLES };
    },
  };
}

/** The comment header Ogg Opus requires as its second packet (RFC 7845 §5.2), with no comments. */
function opusTags(): Uint8Array {
  const vendor = Buffer.from('spool', 'latin1');
  const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
  tags.write('OpusTags', 0, 'latin1');
  tags.writeUInt32LE(vendor.length, 8);
  vendor.copy(tags, 12);
  tags.writeUInt32LE(0, 12 + vendor.length);
  return tags;
}

function g711Input(codec: 'pcma' | 'pcmu', sampleRate: number, channels: number): InputFormat {
  // The codes of the smallest positive sample: A-law inverts its even bits, µ-law all of them.
  const silentByte = codec === 'pcma' ? 0xd5 : 0xff;
  return {
    ffmpegArgs: [
      '-f',
      codec === 'pcma' ? 'alaw' : 'mulaw',
      '-ar',
      String(sampleRate),
      '-ac',
      String(channels),
    ],
    sampleRate,
    silenceFrameSamples: 1,
    header: () => EMPTY.bytes,
    frame: (data) => ({ bytes: data, samples: Math.floor(data.length / channels) }),
    silence: (samples) => ({ bytes: Buffer.alloc(samples * channels, silentByte), samples }),
  };
}

function aacInput(track: AudioTrack): InputFormat {
  if (track.config === undefined) throw new Error('AAC track has no AudioSpecificConfig');
  const config = aac.parseAudioSpecificConfig(track.config);
  const adts = new AdtsWriter(track.config);
  const silent = silentAacFrame(track.config);
  const frameSamples = config.samplesPerFrame;
  return {
    ffmpegArgs: ['-f', 'aac'],
    sampleRate: config.sampleRate,
    silenceFrameSamples: frameSamples,
    header: () => EMPTY.bytes,
    frame: (data) => ({ bytes: adts.frame(data), samples: frameSamples }),
    silence(samples) {
      if (silent === undefined) return EMPTY;
      const count = Math.floor(samples / frameSamples);
      const frame = adts.frame(silent);
      return {
        bytes: Buffer.concat(Array.from({ length: count }, () => frame)),
        samples: count * frameSamples,
      };
    },
  };
}
