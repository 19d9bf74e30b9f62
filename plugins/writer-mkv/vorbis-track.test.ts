/**
 * A Vorbis track in WebM and MKV: libvorbis packets and headers (made by ffmpeg, read back by mediabunny)
 * written beside VP8 video through the ContainerWriter, finalized, and checked the way a user would:
 * ffmpeg (Debian's 5.1 and the npm 4.1) decodes the file without a message, ffprobe sees VP8 + Vorbis with the right rate, channels,
 * duration and start times, and mkvinfo finds A_VORBIS, the Duration and the Cues.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { ALL_FORMATS, EncodedPacketSink, FilePathSource, Input } from 'mediabunny';
import type { AudioTrack, Frame, Logger, Track } from '../../core/index.js';
import { exactFrameTimes } from '../../test/fixtures/mkv-writer-child.js';
import { makeClip, readMediaFile, type MediaFile } from '../../test/helpers/media-file.js';
import { decodeErrors, ffmpeg, ffprobe } from '../../test/helpers/media-tools.js';
import { requireMkvinfo } from '../../test/helpers/mkvinfo.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { finalizeMatroska } from '../../lib/matroska/finalize.js';
import {
  MatroskaContainerWriter,
  MKV_PROFILE,
  webmProfile,
  type MatroskaProfile,
} from './matroska-writer.js';

const SECONDS = 10;
const RATE = 44100;
const silentLog = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as unknown as Logger;
const limits = { durationMs: 100000, sizeBytes: 131072 };
const NPM_FFMPEG = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;

const tmp = new TempDir('spool-mkv-vorbis-');
after(() => tmp.cleanup());

/** A 440 Hz sine, 44.1 kHz stereo, encoded by libvorbis into WebM; packets and CodecPrivate as read by mediabunny. */
async function vorbisAudio(): Promise<{ track: AudioTrack; frames: Frame[] }> {
  const path = join(tmp.path, 'sine.vorbis.webm');
  await ffmpeg([
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${RATE}`],
    ...['-t', String(SECONDS), '-ac', '2', '-c:a', 'libvorbis', '-q:a', '4', path],
  ]);
  const input = new Input({ source: new FilePathSource(path), formats: ALL_FORMATS });
  try {
    const audio = (await input.getPrimaryAudioTrack())!;
    const config = await audio.getDecoderConfig();
    const description = config?.description as Uint8Array | undefined;
    if (audio.codec !== 'vorbis' || description === undefined) throw new Error(`${path}: no Vorbis track`);
    const frames: Frame[] = [];
    for await (const packet of new EncodedPacketSink(audio).packets()) {
      const pts = Math.round(packet.timestamp * RATE);
      frames.push({ trackId: 2, data: packet.data, pts, dts: pts, keyframe: true, arrivalMs: 0 });
    }
    const track: AudioTrack = {
      ...{ id: 2, kind: 'audio', codec: 'vorbis', timescale: RATE, sampleRate: RATE, channels: 2 },
      config: new Uint8Array(description),
    };
    return { track, frames };
  } finally {
    input.dispose();
  }
}

let video: NonNullable<MediaFile['video']>;
let audio: { track: AudioTrack; frames: Frame[] };
before(async () => {
  const clip = await makeClip({ seconds: SECONDS, bFrames: 0, videoCodec: 'vp8', audio: false });
  video = exactFrameTimes(await readMediaFile(clip)).video!;
  audio = await vorbisAudio();
});

/** Writes VP8 + Vorbis, merged by time as the recorder delivers them, and finalizes the file. */
async function record(profile: MatroskaProfile, name: string) {
  const live = join(tmp.path, `${name}.live.${profile.extension}`);
  const output = join(tmp.path, `${name}.${profile.extension}`);
  const writer = new MatroskaContainerWriter(profile, limits);
  const file = await writer.open({ tmpPath: live, tracks: [video.track, audio.track], log: silentLog });
  const seconds = (frame: Frame, track: Track): number => frame.dts / track.timescale;
  const frames = [
    ...video.frames.map((frame) => ({ frame, at: seconds(frame, video.track) })),
    ...audio.frames.map((frame) => ({ frame, at: seconds(frame, audio.track) })),
  ].sort((a, b) => a.at - b.at);
  for (const { frame } of frames) await file.write(frame);
  await file.close();
  return { output, result: await finalizeMatroska(live, output) };
}

describe('Vorbis tracks in Matroska', () => {
  test('WebM set to Vorbis takes Vorbis and refuses Opus; a Vorbis track needs its three headers', () => {
    const webm = new MatroskaContainerWriter(webmProfile('vorbis'), limits);
    assert.deepEqual(webm.audioCodecs, ['vorbis']);
    assert.equal(webm.unsupported([video.track, audio.track]), undefined);
    const opus: Track = {
      ...audio.track,
      codec: 'opus',
      timescale: 48000,
      sampleRate: 48000,
      config: undefined,
    };
    assert.match(webm.unsupported([video.track, opus]) ?? '', /WebM cannot hold Opus audio, only Vorbis/);
    const { config: _config, ...headerless } = audio.track;
    assert.match(webm.unsupported([headerless]) ?? '', /the Vorbis track has no headers/);
    const truncated = { ...audio.track, config: audio.track.config!.subarray(0, 40) };
    assert.match(webm.unsupported([truncated]) ?? '', /not the three Xiph-laced Vorbis headers/);
    assert.deepEqual(new MatroskaContainerWriter(webmProfile('opus'), limits).audioCodecs, ['opus']);
  });

  for (const profile of [webmProfile('vorbis'), MKV_PROFILE]) {
    test(`VP8 + Vorbis in ${profile.label}: finalized, decodes cleanly, A_VORBIS with Duration and Cues`, async (t) => {
      const { output, result } = await record(profile, `vp8-vorbis-${profile.extension}`);
      assert.equal(result.docType, profile.docType);
      assert.deepEqual(
        result.tracks.map((track) => track.codecId),
        ['V_VP8', 'A_VORBIS'],
      );
      assert.ok(Math.abs(result.durationMs / 1000 - SECONDS) <= 0.1, `reported ${result.durationMs} ms`);
      assert.equal(await decodeErrors(output), '', 'ffmpeg -v error prints nothing');
      const npm = await promisify(execFile)(NPM_FFMPEG, ['-v', 'error', '-i', output, '-f', 'null', '-']);
      assert.equal(npm.stderr.trim(), '', 'ffmpeg 4.1 -v error prints nothing');

      const probe = await ffprobe(output);
      const probed = (type: 'video' | 'audio') => probe.streams.find((s) => s.codec_type === type);
      assert.equal(probed('video')?.codec_name, 'vp8');
      const vorbis = probed('audio');
      assert.equal(vorbis?.codec_name, 'vorbis');
      assert.equal(Number(vorbis?.sample_rate), RATE);
      assert.equal(vorbis?.channels, 2);
      const duration = Number(probe.format.duration);
      assert.ok(Math.abs(duration - SECONDS) <= 0.1, `file duration ${duration} s`);
      const skew = Number(vorbis?.start_time) - Number(probed('video')?.start_time);
      assert.ok(Math.abs(skew) <= 0.05, `audio starts ${skew * 1000} ms after video`);

      await t.test('mkvinfo finds A_VORBIS with its headers, the Duration and the Cues', async (t) => {
        const mkvinfo = requireMkvinfo(t, 'check A_VORBIS, the Duration and the Cues with mkvinfo');
        if (mkvinfo === undefined) return;
        const info = await mkvinfo(output);
        assert.match(info, /Codec ID: A_VORBIS/);
        assert.match(info, /Codec's private data: size \d{4}/, 'the three headers as CodecPrivate');
        assert.match(info, /\| \+ Duration: 00:00:(09\.9|10\.0)/, 'Segment info has the Duration');
        assert.match(info, /\+ Cues/, 'the file has Cues');
        assert.doesNotMatch(info, /error|warning|unknown element/i, 'mkvinfo finds nothing wrong');
      });
    });
  }
});
