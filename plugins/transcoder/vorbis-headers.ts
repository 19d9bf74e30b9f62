/**
 * The Vorbis headers a transcoder announces before its first frame. libvorbis writes them only when it
 * starts encoding, but they depend on nothing else than the encoder build, the rate, the channels and the
 * quality: one short encode of silence with the same settings gives them, once per settings (the plugin
 * does it at start). Each transcoder checks that its ffmpeg wrote the same ones.
 */
import { execFile } from 'node:child_process';
import { OggPacketReader } from './ogg.js';
import type { TranscoderSettings } from './settings.js';
import { VORBIS_QUALITY } from './settings.js';
import { isVorbisHeader, xiphLace, type VorbisHeaders } from './vorbis.js';

/** ffmpeg options that encode Vorbis with the plugin's settings (before the output). */
export function vorbisEncoderArgs(settings: TranscoderSettings): string[] {
  return [
    ...['-c:a', 'libvorbis', '-q:a', String(VORBIS_QUALITY)],
    ...['-ar', String(settings.sampleRate), '-ac', String(settings.channels)],
  ];
}

const cache = new Map<string, Promise<Uint8Array>>();

/**
 * The Xiph-laced identification, comment and setup headers (Matroska's CodecPrivate) libvorbis writes for
 * these settings, from a 10 ms encode of silence; cached per ffmpeg binary, rate and channels.
 */
export function vorbisConfig(settings: TranscoderSettings, timeoutMs = 10_000): Promise<Uint8Array> {
  const key = JSON.stringify([settings.ffmpegPath, settings.sampleRate, settings.channels]);
  let config = cache.get(key);
  if (config === undefined) {
    config = encodeHeaders(settings, timeoutMs).then(xiphLace);
    cache.set(key, config);
    config.catch(() => cache.delete(key));
  }
  return config;
}

function encodeHeaders(settings: TranscoderSettings, timeoutMs: number): Promise<VorbisHeaders> {
  const layout = settings.channels === 1 ? 'mono' : 'stereo';
  const args = [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error'],
    ...['-f', 'lavfi', '-i', `anullsrc=r=${settings.sampleRate}:cl=${layout}`, '-t', '0.01'],
    ...vorbisEncoderArgs(settings),
    ...['-f', 'ogg', 'pipe:1'],
  ];
  return new Promise((resolve, reject) => {
    execFile(
      settings.ffmpegPath,
      args,
      { encoding: 'buffer', timeout: timeoutMs, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`ffmpeg could not encode Vorbis: ${error.message.trim()} ${stderr.toString().trim()}`),
          );
          return;
        }
        try {
          resolve(headersOf(new OggPacketReader().push(stdout)));
        } catch (parseError) {
          reject(parseError as Error);
        }
      },
    );
  });
}

/** The first three packets of a Vorbis stream, checked to be its headers. */
export function headersOf(packets: readonly Uint8Array[]): VorbisHeaders {
  const [identification, comment, setup] = packets;
  if (
    identification === undefined ||
    comment === undefined ||
    setup === undefined ||
    !isVorbisHeader(identification, 'identification') ||
    !isVorbisHeader(comment, 'comment') ||
    !isVorbisHeader(setup, 'setup')
  ) {
    throw new Error('ffmpeg did not write the three Vorbis headers first');
  }
  return { identification, comment, setup };
}
