/**
 * writer-webm.audioCodec=vorbis end to end: a VP8 + Opus stream published to an in-process Spool with
 * the recorder, writer-webm and the transcoder is recorded as VP8 + Vorbis WebM (the reference's "WebM
 * for VP8 + Vorbis"), judged by ffmpeg, ffprobe and mkvinfo. Without the transcoder the audio is left out
 * with a warning; an unknown codec is refused at start-up, naming the key.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Spool } from '../../core/index.js';
import { exactFrameTimes } from '../../test/fixtures/mkv-writer-child.js';
import { publishFile } from '../../test/helpers/file-publisher.js';
import { LogCapture } from '../../test/helpers/log.js';
import { makeClip, readMediaFile, type MediaFile } from '../../test/helpers/media-file.js';
import { decodeErrors, ffprobe } from '../../test/helpers/media-tools.js';
import { requireMkvinfo } from '../../test/helpers/mkvinfo.js';
import { startSpool, type InProcessSpool } from '../../test/helpers/spool-in-process.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { waitFor } from '../../test/helpers/wait.js';

const tmp = new TempDir('spool-webm-vorbis-');
after(() => tmp.cleanup());

const SECONDS = 10;
const TEMPLATE = 'recorder.fileTemplate={streamName}';
let media: MediaFile;
before(async () => {
  media = exactFrameTimes(
    await readMediaFile(
      await makeClip({ seconds: SECONDS, bFrames: 0, videoCodec: 'vp8', audioCodec: 'opus' }),
    ),
  );
});

/** Publishes `seconds` of the VP8 + Opus clip (at `speed`× real time), unpublishes, and waits for the file. */
async function record(s: InProcessSpool, name: string, seconds: number, speed: number): Promise<string> {
  const publisher = await publishFile(s.spool.bus, media, { name, seconds, speed });
  await publisher.done;
  await publisher.stop();
  const [file] = await waitFor('the finished recording', () =>
    s.finished.length > 0 ? s.finished : undefined,
  );
  assert.equal(file!.fileName, `${name}.webm`);
  return join(s.recordDir, file!.fileName);
}

describe('WebM recordings with Vorbis audio (writer-webm.audioCodec=vorbis)', () => {
  test('VP8 + Opus published: a VP8 + Vorbis WebM of 10 s, A/V in step, decoding cleanly', async (t) => {
    const s = await startSpool(tmp, {
      plugins: ['recorder', 'writer-webm', 'transcoder'],
      sets: [TEMPLATE, 'writer-webm.audioCodec=vorbis'],
    });
    let path: string;
    try {
      path = await record(s, 'vorbis', SECONDS, 2);
    } finally {
      await s.stop();
    }
    assert.ok(s.log.find((line) => line.msg === 'opus audio is transcoded to vorbis for webm'));
    assert.equal(await decodeErrors(path), '', 'ffmpeg -v error prints nothing');
    const probe = await ffprobe(path);
    assert.equal(probe.format.format_name, 'matroska,webm');
    const video = probe.streams.find((stream) => stream.codec_type === 'video');
    const audio = probe.streams.find((stream) => stream.codec_type === 'audio');
    assert.equal(video?.codec_name, 'vp8');
    assert.equal(audio?.codec_name, 'vorbis');
    assert.equal(audio?.sample_rate, '44100', 'the transcoder default, record_audio_codec_sample_rate');
    assert.equal(audio?.channels, 2);
    const duration = Number(probe.format.duration);
    assert.ok(Math.abs(duration - SECONDS) <= 0.3, `duration ${duration} s`);
    const skew = Number(audio.start_time) - Number(video.start_time);
    assert.ok(Math.abs(skew) <= 0.05, `audio starts ${Math.round(skew * 1000)} ms after video`);
    t.diagnostic(`duration ${duration} s, audio starts ${(skew * 1000).toFixed(1)} ms after video`);
    await t.test('mkvinfo finds a WebM with A_VORBIS and Cues', async (t) => {
      const mkvinfo = requireMkvinfo(t, 'check the A_VORBIS track and the Cues with mkvinfo');
      if (mkvinfo === undefined) return;
      const info = await mkvinfo(path);
      assert.match(info, /Document type: webm/);
      assert.match(info, /Codec ID: A_VORBIS/);
      assert.match(info, /\+ Cues/);
    });
  });

  test('without the transcoder the Opus audio is left out, with a warning, and the video is recorded', async () => {
    const s = await startSpool(tmp, {
      plugins: ['recorder', 'writer-webm'],
      sets: [TEMPLATE, 'writer-webm.audioCodec=vorbis'],
    });
    let path: string;
    try {
      path = await record(s, 'no-transcoder', 3, 4);
    } finally {
      await s.stop();
    }
    assert.ok(
      s.log.find((line) =>
        /audio track \(opus\) recorded without: webm records vorbis audio, not opus, and no transcoder converts opus to vorbis/.test(
          String(line.msg),
        ),
      ),
    );
    const probe = await ffprobe(path);
    assert.deepEqual(
      probe.streams.map((stream) => stream.codec_name),
      ['vp8'],
    );
  });

  test('an audio codec WebM does not take is refused at start-up, naming the key', async () => {
    await assert.rejects(
      Spool.create({
        pluginsFile: tmp.json('plugins.json', {
          plugins: [
            { name: 'recorder', enabled: true },
            { name: 'writer-webm', enabled: true },
          ],
        }),
        sets: ['http.port=0', 'writer-webm.audioCodec=aac', `recorder.recordDir=${join(tmp.path, 'r')}`],
        env: {},
        logDestination: new LogCapture(),
      }),
      /writer-webm\.audioCodec.*(opus|vorbis)/s,
    );
  });
});
