/**
 * Issue 4 acceptance: every container Spool records to, from a 10 s stream published on the bus in real
 * time (a media file's frames, as an ingest delivers them), finalized and judged by ffmpeg, ffprobe and
 * mkvinfo. One Spool per record_formats setting, all running at once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Spool } from '../core/index.js';
import { type RecordedFile, RecorderHooksToken } from '../plugins/recorder/api.js';
import { publishFile } from './helpers/file-publisher.js';
import { LogCapture } from './helpers/log.js';
import { makeClip, type ClipOptions } from './helpers/media-file.js';
import { decodeErrors, ffprobe, type Probe } from './helpers/media-tools.js';
import { requireMkvinfo } from './helpers/mkvinfo.js';
import { TempDir } from './helpers/tmp.js';

const SECONDS = 10;
const tmp = new TempDir('spool-containers-');
after(() => tmp.cleanup());

interface Expected {
  readonly extension: string;
  readonly video?: string;
  readonly audio?: { codec: string; sampleRate: number; channels: number };
}

interface Case {
  readonly name: string;
  readonly clip: ClipOptions;
  readonly expected: Expected;
}

interface Setup {
  readonly plugins: readonly string[];
  readonly sets: readonly string[];
  readonly cases: readonly Case[];
}

const h264 = (bFrames: 0 | 2): ClipOptions => ({ seconds: 4, bFrames });
const vp8opus: ClipOptions = { seconds: 4, bFrames: 0, videoCodec: 'vp8', audioCodec: 'opus' };
const aac44 = { codec: 'aac', sampleRate: 44100, channels: 2 };
const opus48 = { codec: 'opus', sampleRate: 48000, channels: 2 };

const setups: Record<string, Setup> = {
  'default formats (h264-mp4, vp8-webm) with the transcoder': {
    plugins: ['recorder', 'writer-mp4', 'writer-webm', 'transcoder'],
    // Not the defaults, so the test shows they are applied.
    sets: ['transcoder.sampleRate=48000', 'transcoder.channels=1'],
    cases: [
      { name: 'h264-mp4', clip: h264(2), expected: { extension: 'mp4', video: 'h264', audio: aac44 } },
      { name: 'vp8-webm', clip: vp8opus, expected: { extension: 'webm', video: 'vp8', audio: opus48 } },
      {
        name: 'opus-to-aac-mp4',
        clip: { seconds: 4, bFrames: 2, audioCodec: 'opus' },
        expected: {
          extension: 'mp4',
          video: 'h264',
          audio: { codec: 'aac', sampleRate: 48000, channels: 1 },
        },
      },
      {
        name: 'audio-only-aac',
        clip: { seconds: 4, bFrames: 0, video: false },
        expected: { extension: 'mp4', audio: aac44 },
      },
      {
        name: 'audio-only-opus',
        clip: { seconds: 4, bFrames: 0, video: false, audioCodec: 'opus' },
        expected: { extension: 'mp4', audio: { codec: 'aac', sampleRate: 48000, channels: 1 } },
      },
    ],
  },
  'record_formats=h264-mkv, vp8-mkv': {
    plugins: ['recorder', 'writer-mkv'],
    sets: [
      'recorder.recordFormats=h264-mkv,vp8-mkv',
      'recorder.fileTemplate={streamName}-{videoCodec}-{audioCodec}',
    ],
    cases: [
      { name: 'h264-mkv', clip: h264(0), expected: { extension: 'mkv', video: 'h264', audio: aac44 } },
      {
        name: 'h264-mkv-bframes',
        clip: h264(2),
        expected: { extension: 'mkv', video: 'h264', audio: aac44 },
      },
      { name: 'vp8-mkv', clip: vp8opus, expected: { extension: 'mkv', video: 'vp8', audio: opus48 } },
    ],
  },
  'record_h264_to_ts=true': {
    plugins: ['recorder', 'writer-ts'],
    sets: ['recorder.recordH264ToTs=true'],
    cases: [
      { name: 'h264-ts', clip: h264(0), expected: { extension: 'ts', video: 'h264', audio: aac44 } },
      { name: 'h264-ts-bframes', clip: h264(2), expected: { extension: 'ts', video: 'h264', audio: aac44 } },
    ],
  },
};

const results = new Map<string, { file: RecordedFile; probe: Probe }>();
const runErrors: unknown[] = [];

before(async () => {
  // Real time: all setups and their streams at once, so the whole matrix takes one stream's length.
  await Promise.all(
    Object.values(setups).map((setup, i) => record(setup, i).catch((e) => runErrors.push(e))),
  );
});

async function record(setup: Setup, index: number): Promise<void> {
  const dir = join(tmp.path, `setup-${index}`);
  const pluginsFile = tmp.json(`plugins-${index}.json`, {
    plugins: setup.plugins.map((name) => ({ name, enabled: true })),
  });
  const spool = await Spool.create({
    pluginsFile,
    sets: [
      'http.port=0',
      'http.host=127.0.0.1',
      `recorder.recordDir=${join(dir, 'records')}`,
      `dataDir=${join(dir, 'data')}`,
      ...setup.sets,
    ],
    env: {},
    logDestination: new LogCapture(),
  });
  const finished = new Map<string, RecordedFile>();
  spool.hookCatalogue(RecorderHooksToken).tap('test', 'recordingFinished', (file) => {
    finished.set(file.streamName, file);
  });
  await spool.start();
  try {
    const publishers = await Promise.all(
      setup.cases.map(async (c) =>
        publishFile(spool.bus, await makeClip(c.clip), {
          name: c.name,
          seconds: SECONDS,
          ...(c.clip.video === false ? { video: false } : {}),
        }),
      ),
    );
    await Promise.all(publishers.map((p) => p.done));
    await Promise.all(publishers.map((p) => p.stop()));
  } finally {
    await spool.stop();
  }
  for (const c of setup.cases) {
    const file = finished.get(c.name);
    if (file !== undefined) results.set(c.name, { file, probe: await ffprobe(file.filePath) });
  }
}

for (const [title, setup] of Object.entries(setups)) {
  describe(title, () => {
    for (const c of setup.cases) {
      test(`${c.name}: a ${SECONDS} s recording decodes cleanly with the expected codecs and timing`, async (t) => {
        assert.deepEqual(runErrors, []);
        const result = results.get(c.name);
        assert.ok(result, `${c.name} produced a recording`);
        const { file, probe } = result;
        assert.ok(file.fileName.endsWith(`.${c.expected.extension}`), file.fileName);
        if (title.startsWith('record_formats=')) {
          // {videoCodec} and {audioCodec} come from the stream.
          assert.equal(file.fileName, `${c.name}-${c.expected.video}-${c.expected.audio?.codec}.mkv`);
        }
        assert.equal(await decodeErrors(file.filePath), '');
        const video = probe.streams.find((s) => s.codec_type === 'video');
        const audio = probe.streams.find((s) => s.codec_type === 'audio');
        assert.equal(video?.codec_name, c.expected.video);
        assert.equal(audio?.codec_name, c.expected.audio?.codec);
        if (c.expected.audio) {
          assert.equal(Number(audio?.sample_rate), c.expected.audio.sampleRate);
          assert.equal(audio?.channels, c.expected.audio.channels);
        }
        const duration = Number(probe.format.duration);
        assert.ok(Math.abs(duration - SECONDS) <= 0.3, `duration ${duration} s`);
        if (video && audio) {
          const skew = Math.abs(Number(video.start_time) - Number(audio.start_time));
          assert.ok(skew <= 0.05, `audio and video start ${(skew * 1000).toFixed(0)} ms apart`);
        }
        if (c.expected.extension === 'mkv' || c.expected.extension === 'webm') {
          await t.test('mkvinfo finds the Duration, the Cues and the SeekHead', async (t) => {
            const mkvinfo = requireMkvinfo(t, 'check the Duration, Cues and SeekHead with mkvinfo');
            if (mkvinfo === undefined) return;
            const info = await mkvinfo(file.filePath);
            assert.match(info, /\| \+ Duration: /, 'Segment info has a Duration');
            assert.match(info, /\+ Cues/, 'the file has Cues');
            assert.match(info, /\+ Seek head/, 'the file has a SeekHead');
          });
        }
      });
    }
  });
}
