import type { AudioTrack, Track, VideoTrack } from '../../core/index.js';
import { parseAvcC } from '../../lib/codecs/h264.js';
import type { OfferedCodec, OfferedSection, WhepOffer } from './offer.js';

export type SentAudioCodec = 'opus' | 'pcmu' | 'pcma';

export interface ChosenVideo {
  readonly section: number;
  readonly codec: OfferedCodec;
  readonly kind: 'h264' | 'vp8';
}

export interface ChosenAudio {
  readonly section: number;
  readonly codec: OfferedCodec;
  readonly kind: SentAudioCodec;
  /** The stream's audio is not what is sent: play the transcoder's `converted:opus:NAME` stream. */
  readonly convert: boolean;
}

export interface CodecChoice {
  readonly video?: ChosenVideo;
  readonly audio?: ChosenAudio;
  /** Why an offered section gets nothing, for the log. */
  readonly notes: readonly string[];
}

/** What the stream has and the viewer offers share nothing that shows a picture (or plays a sound). */
export class NoCommonCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoCommonCodecError';
  }
}

/**
 * Picks what to send to one viewer. Video must be a codec of the stream, sent as it is: H.264 needs
 * an offered H264/90000 with packetization-mode=1 (preferring the stream's profile), VP8 an offered
 * VP8. A viewer that offers video without the stream's codec is refused (406) rather than sent a
 * black picture. Audio is passed through when offered (Opus; G.711 as PCMU/PCMA), else AAC and
 * G.711 are converted to Opus by the transcoder when the viewer offers Opus, else left out.
 */
export function chooseCodecs(streamName: string, tracks: readonly Track[], offer: WhepOffer): CodecChoice {
  const video = tracks.find((t): t is VideoTrack => t.kind === 'video');
  const audio = tracks.find((t): t is AudioTrack => t.kind === 'audio');
  const videoSection = offer.sections.find((s) => s.kind === 'video');
  const audioSection = offer.sections.find((s) => s.kind === 'audio');
  const notes: string[] = [];
  let chosenVideo: ChosenVideo | undefined;
  if (video !== undefined && videoSection !== undefined) {
    const codec = pickVideo(video, videoSection);
    if (codec === undefined) throw new NoCommonCodecError(mismatch(streamName, tracks, offer));
    chosenVideo = { section: videoSection.index, codec, kind: video.codec };
  } else if (videoSection !== undefined) {
    notes.push(`video section ${videoSection.index}: the stream has no video`);
  }
  let chosenAudio: ChosenAudio | undefined;
  if (audio !== undefined && audioSection !== undefined) {
    chosenAudio = pickAudio(audio, audioSection);
    if (chosenAudio === undefined) {
      notes.push(
        `audio section ${audioSection.index}: ${audio.codec} cannot be sent as ${offered(audioSection)}`,
      );
    }
  } else if (audioSection !== undefined) {
    notes.push(`audio section ${audioSection.index}: the stream has no audio`);
  }
  if (chosenVideo === undefined && chosenAudio === undefined) {
    throw new NoCommonCodecError(mismatch(streamName, tracks, offer));
  }
  return { video: chosenVideo, audio: chosenAudio, notes };
}

function pickVideo(track: VideoTrack, section: OfferedSection): OfferedCodec | undefined {
  const at90k = section.codecs.filter((c) => c.clockRate === 90000);
  if (track.codec === 'vp8') return at90k.find((c) => c.name === 'vp8');
  const mode1 = at90k.filter((c) => c.name === 'h264' && c.parameters.get('packetization-mode') === '1');
  const wanted = streamProfile(track);
  let best: OfferedCodec | undefined;
  let bestScore = -1;
  for (const codec of mode1) {
    const score = profileScore(wanted, offeredProfile(codec));
    if (score > bestScore) {
      best = codec;
      bestScore = score;
    }
  }
  return best;
}

/** profile_idc of the stream (from its avcC); constrained baseline until the publisher has sent one. */
function streamProfile(track: VideoTrack): number {
  if (track.config === undefined) return BASELINE;
  try {
    return parseAvcC(track.config).profile;
  } catch {
    return BASELINE;
  }
}

const BASELINE = 66;
const MAIN = 77;
const HIGH = 100;
/** Each profile's decoders also decode the ones before it (constrained baseline ⊂ main ⊂ high). */
const PROFILE_ORDER = [BASELINE, MAIN, HIGH];

function offeredProfile(codec: OfferedCodec): number | undefined {
  const id = codec.parameters.get('profile-level-id');
  if (id === undefined || !/^[0-9a-f]{6}$/i.test(id)) return undefined;
  return parseInt(id.slice(0, 2), 16);
}

/** Same profile best, then one whose decoders take the stream's, then anything in mode 1. */
function profileScore(stream: number, offered: number | undefined): number {
  if (offered === stream) return 3;
  const streamRank = PROFILE_ORDER.indexOf(stream);
  const offeredRank = offered === undefined ? -1 : PROFILE_ORDER.indexOf(offered);
  if (streamRank !== -1 && offeredRank > streamRank) return 2;
  return 1;
}

function pickAudio(track: AudioTrack, section: OfferedSection): ChosenAudio | undefined {
  const opus = section.codecs.find((c) => c.name === 'opus' && c.clockRate === 48000);
  const g711 = (name: 'pcmu' | 'pcma') => section.codecs.find((c) => c.name === name && c.clockRate === 8000);
  if (track.codec === 'opus') {
    return opus && { section: section.index, codec: opus, kind: 'opus', convert: false };
  }
  if (track.codec === 'pcmu' || track.codec === 'pcma') {
    const same = g711(track.codec);
    if (same !== undefined && track.sampleRate === 8000 && track.channels === 1) {
      return { section: section.index, codec: same, kind: track.codec, convert: false };
    }
  }
  if (track.codec === 'aac' || track.codec === 'pcmu' || track.codec === 'pcma') {
    return opus && { section: section.index, codec: opus, kind: 'opus', convert: true };
  }
  return undefined;
}

const CODEC_NAMES: Record<string, string> = {
  h264: 'H.264',
  vp8: 'VP8',
  vp9: 'VP9',
  av1: 'AV1',
  opus: 'Opus',
  aac: 'AAC',
  pcmu: 'PCMU',
  pcma: 'PCMA',
  vorbis: 'Vorbis',
};
const shown = (name: string) => CODEC_NAMES[name] ?? name;

function offered(section: OfferedSection): string {
  const names: string[] = [];
  for (const codec of section.codecs) {
    if (['rtx', 'red', 'ulpfec', 'flexfec-03', 'telephone-event', 'cn'].includes(codec.name)) continue;
    const mode0 = codec.name === 'h264' && codec.parameters.get('packetization-mode') !== '1';
    const name = mode0 ? 'H.264 (packetization-mode 0 only)' : shown(codec.name);
    if (!names.includes(name)) names.push(name);
  }
  return names.length === 0 ? 'nothing usable' : names.join(', ');
}

function mismatch(streamName: string, tracks: readonly Track[], offer: WhepOffer): string {
  const has = tracks.map((t) => `${shown(t.codec)} ${t.kind}`).join(' and ') || 'no tracks';
  const sections =
    offer.sections.map((s) => `${s.kind}: ${offered(s)}`).join('; ') || 'no section to receive';
  const wanted =
    'Spool sends video as published (H.264 needs packetization-mode=1) and audio as Opus (or PCMU/PCMA as published)';
  return `stream "${streamName}" has ${has}; the offer has ${sections}. ${wanted}`;
}
