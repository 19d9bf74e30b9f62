/**
 * Converted streams for players (docs/transcoding.md): an RTMP publisher's H.264 + AAC demanded as
 * `converted:opus:NAME` in an in-process Spool, and a WebRTC-like VP8 + Opus stream as `converted:aac:NAME`.
 * What a subscriber gets is written to MKV by writer-mkv's ContainerWriter and checked with ffmpeg/ffprobe.
 * Also: two subscribers share one ffmpeg, the conversion stops after the last one leaves, audio already in
 * the target codec is relayed, and record_streams=true never records a converted stream.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { BusEvent, Frame, Stream, Track } from '../core/index.js';
import { MetricsToken } from '../core/index.js';
import { finalizeMatroska } from '../lib/matroska/finalize.js';
import { RtmpIngestToken } from '../plugins/ingest-rtmp/api.js';
import { convertedStreamName } from '../plugins/transcoder/api.js';
import { MatroskaContainerWriter, MKV_PROFILE } from '../plugins/writer-mkv/api.js';
import { publishFile } from './helpers/file-publisher.js';
import { makeClip } from './helpers/media-file.js';
import { decodeErrors, ffprobe } from './helpers/media-tools.js';
import { RtmpPublisher } from './helpers/rtmp-publisher.js';
import { startSpool, type InProcessSpool } from './helpers/spool-in-process.js';
import { TempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const tmp = new TempDir('spool-converted-');
after(() => tmp.cleanup());

const PLUGINS = ['ingest-rtmp', 'recorder', 'writer-mp4', 'transcoder'];

async function spoolWith(sets: string[] = []): Promise<InProcessSpool & { rtmp: string }> {
  const spool = await startSpool(tmp, {
    plugins: PLUGINS,
    sets: ['ingest-rtmp.port=0', 'ingest-rtmp.host=127.0.0.1', ...sets],
  });
  return { ...spool, rtmp: `rtmp://127.0.0.1:${spool.spool.service(RtmpIngestToken).port}/live` };
}

interface Received {
  readonly tracks: Map<number, Track>;
  readonly frames: Frame[];
  /** Resolves with the end reason (or 'closed'). */
  readonly done: Promise<string>;
  close(): void;
}

/** A subscriber that keeps every track and frame it gets. */
function receive(stream: Stream, name: string): Received {
  const subscription = stream.subscribe({ name, role: 'player' });
  const tracks = new Map<number, Track>();
  const frames: Frame[] = [];
  const done = (async () => {
    for await (const event of subscription as AsyncIterable<BusEvent>) {
      if (event.type === 'track') tracks.set(event.track.id, event.track);
      else if (event.type === 'frame') frames.push(event.frame);
      else if (event.type === 'end') return event.reason;
    }
    return 'closed';
  })();
  return { tracks, frames, done, close: () => subscription.close() };
}

/** The ffmpeg conversions this process runs (children reading pipe:0), not the RTMP publisher. */
function conversionProcesses(): number {
  let count = 0;
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args.includes('pipe:0') && args.includes('pipe:1')) count++;
    } catch {
      // The process ended while we looked.
    }
  }
  return count;
}

async function gauge(spool: InProcessSpool, to: string): Promise<number> {
  const metric = await spool.spool
    .service(MetricsToken)
    .registry.getSingleMetricAsString('spool_transcoder_shared_conversions');
  const line = metric
    .split('\n')
    .find((l) => l.startsWith(`spool_transcoder_shared_conversions{to="${to}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

const seconds = (frame: Frame, track: Track): number => frame.pts / track.timescale;

/** Writes what a subscriber got to MKV (time 0 = the first frame), finalized; returns the file. */
async function writeMkv(received: Received, name: string): Promise<string> {
  const tracks = [...received.tracks.values()];
  const byId = new Map(tracks.map((t) => [t.id, t]));
  const start = Math.min(...received.frames.map((f) => f.dts / byId.get(f.trackId)!.timescale));
  const live = join(tmp.path, `${name}.live.mkv`);
  const output = join(tmp.path, `${name}.mkv`);
  const silent = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
  const writer = new MatroskaContainerWriter(MKV_PROFILE, { durationMs: 100000, sizeBytes: 131072 });
  const file = await writer.open({ tmpPath: live, tracks, log: silent as never });
  const ordered = received.frames
    .map((frame) => ({ frame, at: frame.dts / byId.get(frame.trackId)!.timescale }))
    .sort((a, b) => a.at - b.at);
  for (const { frame } of ordered) {
    const shift = Math.round(start * byId.get(frame.trackId)!.timescale);
    await file.write({ ...frame, pts: frame.pts - shift, dts: frame.dts - shift });
  }
  await file.close();
  await finalizeMatroska(live, output);
  return output;
}

/** Start and span of each kind's frames, in seconds on the source's timeline. */
function spans(received: Received) {
  const of = (kind: 'video' | 'audio') => {
    const track = [...received.tracks.values()].find((t) => t.kind === kind)!;
    const frames = received.frames.filter((f) => f.trackId === track.id);
    const first = seconds(frames[0]!, track);
    const last = Math.max(...frames.map((f) => seconds(f, track)));
    return { track, frames, first, last };
  };
  return { video: of('video'), audio: of('audio') };
}

/** What a player checks: a clean decode, the codec and rate, audio as long as video, starting together. */
async function assertPlayable(received: Received, name: string, codec: string, rate: number) {
  const { video, audio } = spans(received);
  assert.equal(audio.track.codec, codec);
  assert.ok(
    Math.abs(audio.first - video.first) <= 0.05,
    `audio starts ${audio.first - video.first} s from video`,
  );
  const path = await writeMkv(received, name);
  assert.equal(await decodeErrors(path), '', 'ffmpeg -v error prints nothing');
  const probe = await ffprobe(path);
  const probed = probe.streams.find((s) => s.codec_type === 'audio');
  assert.equal(probed?.codec_name, codec);
  assert.equal(Number(probed?.sample_rate), rate);
  const videoS = video.last - video.first;
  const audioS = audio.last - audio.first;
  assert.ok(Math.abs(audioS - videoS) <= 0.1, `audio ${audioS.toFixed(3)} s, video ${videoS.toFixed(3)} s`);
}

describe('converted streams for players', () => {
  test('RTMP H.264 + AAC as converted:opus: Opus 48 kHz, decodes, in sync; two players share one ffmpeg; never recorded', async () => {
    const spool = await spoolWith([
      'recorder.recordStreams=true',
      'recorder.recordFlashPublishedStreams=true',
    ]);
    const publisher = new RtmpPublisher({ url: `${spool.rtmp}/cam`, seconds: 6 });
    try {
      const bus = spool.spool.bus;
      const source = await waitFor('the RTMP stream', () => bus.find('cam'), 10000);
      const original = receive(source, 'test-source');
      const name = convertedStreamName('opus', 'cam');
      const [first, second] = await Promise.all([bus.demand(name), bus.demand(name)]);
      assert.equal(first, second, 'concurrent demands share one stream');
      const a = receive(first!, 'player-a');
      const b = receive(first!, 'player-b');
      assert.equal(await bus.demand(name), first, 'a later demand gets the same stream');
      assert.equal(first!.record, false);

      const relayed = await bus.demand(convertedStreamName('aac', 'cam'));
      const c = receive(relayed, 'player-c');

      await waitFor('converted audio', () =>
        a.frames.some((f) => a.tracks.get(f.trackId)?.kind === 'audio') ? true : undefined,
      );
      assert.equal(conversionProcesses(), 1, 'one ffmpeg for both players');
      assert.equal(await gauge(spool, 'opus'), 1);
      assert.equal(await gauge(spool, 'aac'), 0, 'AAC is relayed, not converted');

      assert.match(await a.done, /source "cam" ended/);
      await b.done;
      await c.done;
      await original.done;
      await assertPlayable(a, 'rtmp-opus', 'opus', 48000);
      assert.equal(b.frames.length, a.frames.length, 'both players got the same frames');

      const sourceFrames = new Set(original.frames);
      const videoId = [...a.tracks.values()].find((t) => t.kind === 'video')!.id;
      assert.ok(
        a.frames.filter((f) => f.trackId === videoId).every((f) => sourceFrames.has(f)),
        'the video frames are the source frames themselves',
      );
      assert.ok(
        c.frames.every((f) => sourceFrames.has(f)),
        'converted:aac of AAC relays every frame as it is',
      );

      await waitFor('the conversion to end', () => (conversionProcesses() === 0 ? true : undefined));
      assert.equal(await gauge(spool, 'opus'), 0);
      await waitFor('the recording', () => (spool.finished.length > 0 ? true : undefined), 15000);
      await spool.stop();
      assert.deepEqual(
        spool.finished.map((f) => f.streamName),
        ['cam'],
        'record_streams=true recorded the RTMP stream, not the converted ones',
      );
      assert.equal(
        spool.log.find((line) => /^recording "converted:/.test(String(line.msg))),
        undefined,
        'no recording of a converted stream started',
      );
    } finally {
      publisher.kill();
      await spool.stop();
    }
  });

  test('the conversion stops sharedIdleMs after the last player leaves; a new demand starts it again', async () => {
    const spool = await spoolWith(['transcoder.sharedIdleMs=300']);
    const publisher = new RtmpPublisher({ url: `${spool.rtmp}/idle`, seconds: 8 });
    try {
      const bus = spool.spool.bus;
      await waitFor('the RTMP stream', () => bus.find('idle'), 10000);
      const name = convertedStreamName('opus', 'idle');
      const stream = await bus.demand(name);
      const a = receive(stream, 'player-a');
      const b = receive(stream, 'player-b');
      await waitFor('converted audio', () => (a.frames.length > 30 ? true : undefined));
      a.close();
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(bus.find(name), stream, 'one player left: the stream goes on');
      b.close();
      await waitFor('the converted stream to end', () => (stream.ended ? true : undefined), 3000);
      await waitFor('ffmpeg to stop', () => (conversionProcesses() === 0 ? true : undefined), 3000);
      assert.equal(await gauge(spool, 'opus'), 0);
      assert.ok(spool.log.find((line) => /released, nobody watched it/.test(String(line.msg))));
      assert.ok(bus.find('idle') !== undefined, 'the source goes on');

      const again = await bus.demand(name);
      assert.notEqual(again, stream);
      const c = receive(again, 'player-c');
      await waitFor('converted audio again', () => (c.frames.length > 10 ? true : undefined));
      c.close();
    } finally {
      publisher.kill();
      await spool.stop();
    }
  });

  test('a WebRTC-like VP8 + Opus stream as converted:aac: AAC that decodes, in sync', async () => {
    const spool = await spoolWith();
    const clip = await makeClip({ seconds: 4, bFrames: 0, videoCodec: 'vp8', audioCodec: 'opus' });
    const publisher = await publishFile(spool.spool.bus, clip, {
      name: 'whip',
      seconds: 5,
      source: 'webrtc',
      record: false,
    });
    try {
      const stream = await spool.spool.bus.demand(convertedStreamName('aac', 'whip'));
      const a = receive(stream, 'rtmp-player');
      await publisher.done;
      await publisher.stop();
      assert.match(await a.done, /source "whip" ended/);
      await assertPlayable(a, 'webrtc-aac', 'aac', 44100);
    } finally {
      await spool.stop();
    }
  });

  test('names nobody can bring are a 404', async () => {
    const spool = await spoolWith();
    try {
      await assert.rejects(spool.spool.bus.demand(convertedStreamName('opus', 'nobody')), {
        code: 'SPOOL_ERR_NOT_FOUND',
      });
      await assert.rejects(spool.spool.bus.demand('converted:vorbis:nobody'), {
        code: 'SPOOL_ERR_NOT_FOUND',
      });
    } finally {
      await spool.stop();
    }
  });
});
