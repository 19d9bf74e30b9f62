import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Spool, type Frame, type PublishRefusal, type Stream, type Track } from '../../core/index.js';
import { LogCapture } from '../../test/helpers/log.js';
import { FFMPEG_ASC, FFMPEG_AVCC, metadataTag } from '../../test/helpers/rtmp-ingest.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { FLV_AUDIO, FLV_SCRIPT, FLV_VIDEO, parseFlvTag } from '../../lib/flv/index.js';
import { Publisher, type PublisherOptions } from './publisher.js';

const tmp = new TempDir('spool-rtmp-publisher-');
const log = new LogCapture();
let spool: Spool;
/** What the bus saw; reset per test. */
let seen: { streams: Stream[]; frames: Frame[]; tracks: Track[]; unpublished: string[] };
/** The publish hook's answer; a promise holds the publish pending. */
let publishGate: () => Promise<PublishRefusal | undefined>;

before(async () => {
  spool = await Spool.create({
    pluginsFile: tmp.json('plugins.json', { plugins: [] }),
    sets: ['http.port=0'],
    env: {},
    logDestination: log,
  });
  spool.hooks.tap('test', 'publish', () => publishGate());
  spool.hooks.tap('test', 'published', ({ stream }) => {
    seen.streams.push(stream);
    const subscription = stream.subscribe({ name: 'test', role: 'recorder', startAtKeyframe: false });
    void (async () => {
      for await (const event of subscription) {
        if (event.type === 'frame') seen.frames.push(event.frame);
        if (event.type === 'track') seen.tracks.push(event.track);
      }
    })();
  });
  spool.hooks.tap('test', 'unpublished', ({ stream, reason }) => {
    seen.unpublished.push(`${stream.name}: ${reason}`);
  });
});
after(() => tmp.cleanup());
beforeEach(() => {
  seen = { streams: [], frames: [], tracks: [], unpublished: [] };
  publishGate = async () => undefined;
  log.lines.length = 0;
});

let nameNo = 0;
function publisher(options: Partial<PublisherOptions> = {}) {
  const closed: string[] = [];
  const name = `cam${++nameNo}`;
  const instance = new Publisher(
    { name, login: 'alice', record: true, query: { login: 'alice', record: 'true' } },
    {
      bus: spool.bus,
      log: spool.rootLog.child({ plugin: 'ingest-rtmp' }),
      options: { trackWaitMs: 200, maxPendingPackets: 1000, ...options },
      closeConnection: (reason) => closed.push(reason),
    },
  );
  const send = (type: number, timeMs: number, body: Buffer) =>
    instance.onPacket(parseFlvTag(type, timeMs, body));
  return {
    instance,
    name,
    closed,
    videoConfig: (timeMs = 0, avcC = FFMPEG_AVCC) =>
      send(FLV_VIDEO, timeMs, Buffer.concat([Buffer.from([0x17, 0, 0, 0, 0]), avcC])),
    audioConfig: (timeMs = 0, asc = FFMPEG_ASC) =>
      send(FLV_AUDIO, timeMs, Buffer.concat([Buffer.from([0xaf, 0]), asc])),
    video: (
      timeMs: number,
      key = false,
      ctsMs = 0,
      nal = Buffer.from([0, 0, 0, 2, key ? 0x65 : 0x41, timeMs & 0xff]),
    ) =>
      send(
        FLV_VIDEO,
        timeMs,
        Buffer.concat([Buffer.from([key ? 0x17 : 0x27, 1, 0, (ctsMs >> 8) & 0xff, ctsMs & 0xff]), nal]),
      ),
    audio: (timeMs: number) => send(FLV_AUDIO, timeMs, Buffer.from([0xaf, 1, 0x21, timeMs & 0xff])),
    metadata: (values: Record<string, number>) => send(FLV_SCRIPT, 0, metadataTag(values)),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('RTMP publisher', () => {
  test('publishes once both sequence headers are in, with name, login, record, query and tracks', async () => {
    const p = publisher();
    p.metadata({ videocodecid: 7, audiocodecid: 10 });
    p.videoConfig();
    await tick();
    assert.equal(seen.streams.length, 0, 'waits for the AAC header the metadata announced');
    p.audioConfig();
    await tick();
    const [stream] = seen.streams;
    assert.ok(stream);
    assert.deepEqual(
      [stream.name, stream.source, stream.login, stream.record, stream.query],
      [p.name, 'rtmp', 'alice', true, { login: 'alice', record: 'true' }],
    );
    assert.deepEqual(
      stream.tracks.map((t) =>
        t.kind === 'video' ? `${t.codec} ${t.width}x${t.height}` : `${t.codec} ${t.sampleRate}/${t.channels}`,
      ),
      ['h264 640x360', 'aac 44100/2'],
    );
    await p.instance.disconnected();
    assert.deepEqual(seen.unpublished, [`${p.name}: publisher disconnected`]);
  });

  test('packets that arrive while the publish hook runs are held and written in order', async () => {
    let release!: () => void;
    publishGate = () => new Promise((resolve) => (release = () => resolve(undefined)));
    const p = publisher();
    p.videoConfig();
    p.audioConfig();
    for (let i = 0; i < 10; i++) {
      p.video(i * 33, i === 0, 0);
      p.audio(i * 23);
    }
    await tick();
    assert.equal(seen.streams.length, 0);
    release();
    await tick();
    p.video(330);
    await tick();
    const videoDts = seen.frames.filter((f) => f.trackId === 1).map((f) => f.dts);
    assert.deepEqual(videoDts, [...Array.from({ length: 10 }, (_, i) => i * 33 * 90), 330 * 90]);
    assert.deepEqual(
      seen.frames.filter((f) => f.trackId === 2).map((f) => f.dts),
      Array.from({ length: 10 }, (_, i) => i * 1024),
    );
    assert.equal(seen.frames[0]!.keyframe, true);
    await p.instance.disconnected();
  });

  test('the held packets are bounded: the oldest media go first', async () => {
    let release!: () => void;
    publishGate = () => new Promise((resolve) => (release = () => resolve(undefined)));
    const p = publisher({ maxPendingPackets: 5 });
    p.videoConfig();
    p.audioConfig();
    for (let i = 0; i < 20; i++) p.video(i * 33, i % 10 === 0);
    await tick();
    release();
    await tick();
    assert.deepEqual(
      seen.frames.map((f) => f.dts / 90),
      [17, 18, 19].map((i) => i * 33),
    );
    assert.ok(log.find((l) => /more than 5 packets while the publish is pending/.test(String(l.msg))));
    await p.instance.disconnected();
  });

  test('audio-only (announced): publishes on the AAC header; video-only (not announced): after trackWaitMs', async () => {
    const audioOnly = publisher();
    audioOnly.metadata({ audiocodecid: 10 });
    audioOnly.audioConfig();
    await tick();
    assert.deepEqual(
      seen.streams[0]?.tracks.map((t) => t.kind),
      ['audio'],
    );

    const videoOnly = publisher({ trackWaitMs: 100 });
    videoOnly.videoConfig();
    videoOnly.video(0, true);
    await tick();
    assert.equal(seen.streams.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(
      seen.streams[1]?.tracks.map((t) => t.kind),
      ['video'],
    );
    assert.equal(seen.frames.filter((f) => f.trackId === 1).length, 1, 'the held keyframe is written');
    videoOnly.audioConfig(200);
    assert.deepEqual(
      seen.streams[1]?.tracks.map((t) => t.kind),
      ['video', 'audio'],
      'late audio is added',
    );
    await Promise.all([audioOnly.instance.disconnected(), videoOnly.instance.disconnected()]);
  });

  test('no sequence header at all: the connection is closed', async () => {
    const p = publisher({ trackWaitMs: 50 });
    p.audio(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(p.closed, ['no H.264 or AAC sequence header within 50 ms of the first media packet']);
    assert.equal(seen.streams.length, 0);
  });

  test('B-frames: pts = (time + composition time) * 90; AAC dts from sample counts', async () => {
    const p = publisher();
    p.videoConfig();
    p.audioConfig();
    p.video(0, true, 67);
    p.video(33, false, 133);
    p.video(67, false, 33);
    for (const ms of [44, 67, 90, 114, 137, 160, 183, 207]) p.audio(ms);
    await tick();
    assert.deepEqual(
      seen.frames.filter((f) => f.trackId === 1).map((f) => [f.dts, f.pts]),
      [
        [0, 67 * 90],
        [33 * 90, 166 * 90],
        [67 * 90, 100 * 90],
      ],
    );
    const audioDts = seen.frames.filter((f) => f.trackId === 2).map((f) => f.dts);
    assert.equal(audioDts[0], Math.round((44 * 44100) / 1000));
    assert.deepEqual(new Set(audioDts.slice(1).map((d, i) => d - audioDts[i]!)), new Set([1024]));
    await p.instance.disconnected();
  });

  test('a changed sequence header updates the track; a repeated one does not', async () => {
    const p = publisher();
    p.videoConfig();
    p.audioConfig();
    await tick();
    p.videoConfig(100); // the same again, as some encoders do before each keyframe
    const changed = Buffer.from(FFMPEG_AVCC);
    changed[3] = 0x1f; // level 3.1
    p.videoConfig(200, changed);
    p.video(200, true);
    await tick();
    const videoTracks = seen.tracks.filter((t) => t.kind === 'video');
    assert.equal(videoTracks.length, 2, 'the first config, then the changed one');
    assert.deepEqual(Buffer.from(videoTracks[1]!.config!), changed);
    assert.deepEqual(Buffer.from(seen.streams[0]!.tracks[0]!.config!), changed);
    await p.instance.disconnected();
  });

  test('malformed packets are logged once and dropped; the stream goes on', async () => {
    const p = publisher();
    p.videoConfig();
    p.audioConfig();
    await tick();
    p.videoConfig(10, FFMPEG_AVCC.subarray(0, 9)); // truncated avcC
    p.video(33, false, 0, Buffer.from([0, 0, 0, 9, 0x41])); // NAL length overruns the frame
    p.video(66, false, 0, Buffer.from([0, 0, 0, 9, 0x41]));
    p.video(99, false, 0, Buffer.alloc(0));
    p.video(132, false);
    await tick();
    assert.deepEqual(
      seen.frames.filter((f) => f.trackId === 1).map((f) => f.dts),
      [132 * 90],
    );
    assert.equal(
      seen.streams[0]!.tracks[0]!.config!.length,
      FFMPEG_AVCC.length,
      'the bad avcC was not applied',
    );
    const warnings = log.lines
      .filter((l) => l.level === 40 && l.plugin === 'ingest-rtmp')
      .map((l) => String(l.msg));
    assert.equal(warnings.length, 3, warnings.join('\n'));
    assert.match(warnings[0]!, /dropping malformed H\.264 sequence header \(avcC record truncated\)/);
    assert.match(
      warnings[1]!,
      /dropping malformed H\.264 frame \(AVCC NAL unit of 9 bytes overruns the frame\)/,
    );
    assert.match(warnings[2]!, /dropping empty H\.264 frame/);
    await p.instance.disconnected();
    assert.ok(log.find((l) => /dropped: .*malformed H\.264 frame x2/.test(String(l.msg))));
  });

  test('a publish hook refusal closes the connection; nothing reaches the bus', async () => {
    publishGate = async () => ({ reason: 'not on the list' });
    const p = publisher();
    p.videoConfig();
    p.audioConfig();
    p.video(0, true);
    await tick();
    assert.equal(p.closed.length, 1);
    assert.match(p.closed[0]!, /refused: not on the list/);
    assert.equal(seen.streams.length, 0);
    p.video(33);
    assert.equal(seen.frames.length, 0);
  });

  test('disconnecting while the publish hook runs ends the stream as soon as it exists', async () => {
    let release!: () => void;
    publishGate = () => new Promise((resolve) => (release = () => resolve(undefined)));
    const p = publisher();
    p.videoConfig();
    p.audioConfig();
    await tick();
    const ended = p.instance.disconnected();
    release();
    await ended;
    assert.deepEqual(seen.unpublished, [`${p.name}: publisher disconnected`]);
    assert.equal(spool.bus.find(p.name), undefined);
  });

  test('a stream ended by the server closes the RTMP connection at the next packet', async () => {
    const p = publisher();
    p.videoConfig();
    p.audioConfig();
    await tick();
    await p.instance.stream!.end('stopped by REST');
    p.video(33);
    assert.deepEqual(p.closed, ['the stream was ended by the server']);
  });
});
