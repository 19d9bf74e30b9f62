import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pino } from 'pino';
import { StreamBus, redactCredentials, type StreamProvider } from './bus.js';
import type { BusEvent, Subscription } from './subscription.js';
import { SpoolError, isSpoolError, type ErrorCode } from '../errors.js';
import type { PluginErrorEvent, PublishRequest, UnpublishedEvent } from '../events.js';
import { Hooks } from '../hooks.js';
import type { Frame, Track } from '../media.js';
import { createKernelMetrics, type KernelMetrics } from '../metrics.js';

const log = pino({ level: 'silent' });
const VIDEO: Track = { id: 1, kind: 'video', codec: 'h264', timescale: 9e4, config: Uint8Array.of(1, 100) };
const AUDIO: Track = { id: 2, kind: 'audio', codec: 'aac', timescale: 48e3, sampleRate: 48e3, channels: 2 };

function setup(playerQueueFrames = 64, recorderQueueFrames = 64) {
  const hooks = new Hooks(log);
  const metrics = createKernelMetrics();
  const bus = new StreamBus(hooks, log, metrics, { playerQueueFrames, recorderQueueFrames });
  return { hooks, metrics, bus };
}

function req(name: string, tracks: readonly Track[] = [VIDEO, AUDIO]): PublishRequest {
  return { name, login: 'alice', source: 'test', record: false, tracks, query: { a: '1' } };
}

/** `dts` carries a sequence number so order and identity can be checked. */
function frame(trackId: number, seq: number, keyframe = false): Frame {
  return { trackId, data: Uint8Array.of(seq & 0xff), dts: seq, pts: seq, keyframe, arrivalMs: 0 };
}

/** Frames from a script: K = video keyframe, v = video, a = audio; dts = offset + position. */
function script(spec: string, offset = 0): Frame[] {
  return spec.split(' ').map((c, i) => frame(c === 'a' ? 2 : 1, offset + i, c === 'K'));
}

const trackEvents = (...tracks: Track[]) => tracks.map((track) => ({ type: 'track', track }));
const frameEvents = (list: Frame[]) => list.map((f) => ({ type: 'frame', frame: f }));

function isCode(code: ErrorCode) {
  return (error: unknown) => isSpoolError(error, code);
}

/** Reads the events queued so far; a pending `next()` is kept for the following call. */
function reader(sub: Subscription): () => Promise<BusEvent[]> {
  let pending: Promise<BusEvent | undefined> | undefined;
  return async () => {
    const events: BusEvent[] = [];
    for (;;) {
      pending ??= sub.next();
      const next = await Promise.race([pending, nextTurn().then(() => 'empty' as const)]);
      if (next === 'empty') return events;
      pending = undefined;
      if (next === undefined) return events;
      events.push(next);
    }
  };
}

async function collect(sub: Subscription): Promise<BusEvent[]> {
  const events: BusEvent[] = [];
  for await (const event of sub) events.push(event);
  return events;
}

const frames = (events: BusEvent[]) => events.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));

/** The value of a sample in the text exposition format, 0 when absent. */
async function metric(metrics: KernelMetrics, name: string, labels = ''): Promise<number> {
  const text = await metrics.registry.getSingleMetricAsString(name);
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('StreamBus publish', () => {
  test('assigns a UUID mediaSessionId, runs publish then published; endAll runs unpublished', async () => {
    const { bus, hooks } = setup();
    const calls: string[] = [];
    hooks.tap('p', 'publish', (request) => void calls.push(`publish ${request.name}`));
    hooks.tap('p', 'published', ({ stream }) => void calls.push(`published ${stream.name} ${stream.ended}`));
    hooks.tap(
      'p',
      'unpublished',
      ({ stream, reason }) => void calls.push(`unpublished ${stream.name} ${reason}`),
    );
    const a = await bus.publish(req('a'));
    const b = await bus.publish(req('b'));
    assert.match(a.mediaSessionId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a.mediaSessionId, b.mediaSessionId);
    assert.deepEqual(calls, ['publish a', 'published a false', 'publish b', 'published b false']);
    assert.deepEqual([a.login, a.source, a.record, a.query], ['alice', 'test', false, { a: '1' }]);
    assert.equal(bus.find('a'), a);
    assert.equal(bus.get(b.mediaSessionId), b);
    assert.deepEqual(bus.list(), [a, b]);
    assert.equal(bus.find('nope'), undefined);
    assert.equal(bus.get('nope'), undefined);
    await bus.endAll('shutdown');
    assert.deepEqual(calls.slice(4).sort(), ['unpublished a shutdown', 'unpublished b shutdown']);
    assert.deepEqual(bus.list(), []);
  });

  test('a publish tap returning a reason refuses and leaves the name free', async () => {
    const { bus, hooks, metrics } = setup();
    let refuse = true;
    let published = 0;
    hooks.tap('auth', 'publish', () => (refuse ? { reason: 'bad token', status: 401 } : undefined));
    hooks.tap('p', 'published', () => void published++);
    await assert.rejects(bus.publish(req('cam')), (error: unknown) => {
      assert.ok(isSpoolError(error, 'SPOOL_ERR_PUBLISH_REFUSED'));
      assert.equal(error.status, 401);
      assert.match(error.message, /bad token/);
      return true;
    });
    assert.equal(published, 0);
    assert.equal(bus.find('cam'), undefined);
    assert.deepEqual(bus.list(), []);
    assert.equal(await metric(metrics, 'spool_streams_published', '{source="test"}'), 0);
    refuse = false;
    assert.equal((await bus.publish(req('cam'))).name, 'cam');
    assert.equal(published, 1);
    assert.equal(await metric(metrics, 'spool_streams_published', '{source="test"}'), 1);
  });

  test('a publish tap that throws is isolated and reported on pluginError', async () => {
    const { bus, hooks } = setup();
    const errors: PluginErrorEvent[] = [];
    const boom = new Error('boom');
    let laterTapRan = false;
    hooks.tap('observer', 'pluginError', (event) => void errors.push(event));
    hooks.tap('broken', 'publish', () => {
      throw boom;
    });
    hooks.tap('later', 'publish', () => void (laterTapRan = true));
    const stream = await bus.publish(req('cam'));
    assert.equal(bus.find('cam'), stream);
    assert.ok(laterTapRan);
    assert.deepEqual(errors, [{ plugin: 'broken', where: 'hook:publish', error: boom }]);
  });

  test('a name in use is refused, also for concurrent publishes; end frees it', async () => {
    const { bus, hooks } = setup();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    hooks.tap('slow', 'publish', async () => void (await gate));
    const first = bus.publish(req('cam'));
    const second = bus.publish(req('cam'));
    release();
    const [firstResult, secondResult] = await Promise.allSettled([first, second]);
    assert.equal(firstResult.status, 'fulfilled');
    assert.equal(secondResult.status, 'rejected');
    assert.ok(isSpoolError(secondResult.reason, 'SPOOL_ERR_STREAM_NAME_IN_USE'));
    const stream = firstResult.value;
    await assert.rejects(bus.publish(req('cam')), isCode('SPOOL_ERR_STREAM_NAME_IN_USE'));
    await stream.end('done');
    assert.equal(bus.find('cam'), undefined);
    assert.equal(bus.get(stream.mediaSessionId), undefined);
    const again = await bus.publish(req('cam'));
    assert.notEqual(again.mediaSessionId, stream.mediaSessionId);
    assert.deepEqual(bus.list(), [again]);
  });

  test('invalid names are refused before any hook runs', async () => {
    const { bus, hooks } = setup();
    let calls = 0;
    hooks.tap('p', 'publish', () => void calls++);
    for (const name of ['', 'a\u0000b', 'line\nbreak', 'tab\there', 'del\u007f', 'x'.repeat(1025)]) {
      await assert.rejects(bus.publish(req(name)), isCode('SPOOL_ERR_STREAM_NAME_INVALID'));
    }
    assert.equal(calls, 0);
    await bus.publish(req('x'.repeat(1024)));
    await bus.publish(req('live/cam 1 ü'));
    assert.equal(calls, 2);
  });
});

describe('Stream and Subscription', () => {
  test('a late subscriber gets the current tracks first; setTrack reaches subscribers', async () => {
    const { bus } = setup();
    const stream = await bus.publish(req('cam'));
    const early = reader(stream.subscribe({ name: 'early', role: 'player' }));
    assert.deepEqual(await early(), trackEvents(VIDEO, AUDIO));
    const changed: Track = { ...VIDEO, config: Uint8Array.of(1, 77), width: 640 };
    stream.setTrack(changed);
    assert.deepEqual(await early(), trackEvents(changed));
    assert.deepEqual(stream.tracks, [changed, AUDIO]);
    const late = reader(stream.subscribe({ name: 'late', role: 'recorder' }));
    assert.deepEqual(await late(), trackEvents(changed, AUDIO));
    const extra: Track = { ...AUDIO, id: 3 };
    stream.setTrack(extra);
    assert.deepEqual(await late(), trackEvents(extra));
    assert.deepEqual(await early(), trackEvents(extra));
  });

  test('frames before the first video keyframe are skipped unless startAtKeyframe is false', async () => {
    const { bus } = setup();
    const stream = await bus.publish(req('cam'));
    const sub = stream.subscribe({ name: 'p', role: 'player' });
    const all = stream.subscribe({ name: 'all', role: 'player', startAtKeyframe: false });
    const written = script('a v K a v');
    for (const f of written) stream.writeFrame(f);
    assert.deepEqual(frames(await reader(sub)()), written.slice(2));
    assert.equal(sub.stats.dropped, 2);
    assert.equal(sub.stats.delivered, 3);
    assert.throws(() => stream.writeFrame(frame(9, 6, true)), isCode('SPOOL_ERR_UNKNOWN_TRACK'));
    assert.equal(stream.framesWritten, written.length);
    assert.deepEqual(frames(await reader(all)()), written);
    assert.equal(all.stats.dropped, 0);
    const radio = await bus.publish(req('radio', [AUDIO]));
    radio.onKeyframeRequest(() => assert.fail('an audio-only stream needs no keyframe'));
    const listener = reader(radio.subscribe({ name: 'p', role: 'player' }));
    radio.writeFrame(frame(2, 1));
    assert.deepEqual(frames(await listener()), [frame(2, 1)]);
  });

  test('subscribing and requestKeyframe reach the publisher with the requester name', async () => {
    const { bus } = setup();
    const stream = await bus.publish(req('cam'));
    const requests: Array<{ requester: string }> = [];
    const off = stream.onKeyframeRequest((r) => requests.push(r));
    const sub = stream.subscribe({ name: 'player-1', role: 'player' });
    stream.subscribe({ name: 'no-wait', role: 'player', startAtKeyframe: false });
    assert.deepEqual(requests, [], 'handlers run after the current frame is delivered, not inside it');
    await nextTurn();
    assert.deepEqual(requests, [{ requester: 'player-1' }]);
    sub.requestKeyframe();
    sub.requestKeyframe();
    await nextTurn();
    assert.deepEqual(requests, [{ requester: 'player-1' }, { requester: 'player-1' }], 'coalesced per tick');
    off();
    sub.requestKeyframe();
    await nextTurn();
    assert.equal(requests.length, 2);
    // A publisher answering synchronously: the new subscriber must get that keyframe.
    stream.onKeyframeRequest(() => stream.writeFrame(frame(1, 7, true)));
    assert.deepEqual(frames(await reader(stream.subscribe({ name: 'p', role: 'player' }))()), [
      frame(1, 7, true),
    ]);
  });

  test('viewers are counted per protocol on the stream and in /metrics; a release counts once', async () => {
    const { bus, metrics } = setup();
    const stream = await bus.publish(req('cam'));
    const a = stream.addViewer('webrtc');
    const b = stream.addViewer('webrtc');
    const c = stream.addViewer('rtmp');
    assert.deepEqual(stream.viewers, { webrtc: 2, rtmp: 1 });
    const series = async () =>
      (await metrics.viewers.get()).values
        .map((v) => `${v.labels.protocol}:${v.labels.stream}=${v.value}`)
        .sort();
    assert.deepEqual(await series(), ['rtmp:cam=1', 'webrtc:cam=2']);
    a();
    a();
    c();
    assert.deepEqual(stream.viewers, { webrtc: 1 });
    assert.deepEqual(await series(), ['webrtc:cam=1']);
    b();
    assert.deepEqual(stream.viewers, {});
    assert.deepEqual(await series(), []);
  });

  test('a throwing keyframe-request handler is reported as a plugin error; the other handlers still run', async () => {
    const { bus, hooks } = setup();
    const errors: PluginErrorEvent[] = [];
    hooks.tap('observer', 'pluginError', (event) => {
      errors.push(event);
    });
    const stream = await bus.publish(req('cam'));
    stream.onKeyframeRequest(() => {
      throw new Error('third-party publisher bug');
    });
    const asked: string[] = [];
    stream.onKeyframeRequest(({ requester }) => asked.push(requester));
    stream.requestKeyframe('player-1');
    await nextTurn();
    assert.deepEqual(asked, ['player-1']);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.plugin, 'test');
    assert.match(String((errors[0]!.error as Error).message), /third-party publisher bug/);
  });

  for (const role of ['player', 'recorder'] as const) {
    test(`a slow ${role} neither delays the publisher nor a fast subscriber`, async () => {
      const total = 10_000;
      const bound = 100;
      const { bus, metrics } = setup(role === 'player' ? bound : 4096, role === 'recorder' ? bound : 4096);
      const stream = await bus.publish(req('cam'));
      const fast = stream.subscribe({ name: 'fast', role: 'player', maxQueueFrames: 64 });
      const slow = stream.subscribe({ name: 'slow', role });
      assert.equal(slow.maxQueueFrames, bound);
      const fastEvents = collect(fast);
      let maxSlowQueue = 0;
      // Video and audio interleaved; a keyframe every 30th video frame. Bursts of 50 frames are
      // written synchronously; the fast subscriber drains between bursts, the slow one never reads.
      for (let seq = 0; seq < total; seq++) {
        stream.writeFrame(seq % 2 === 0 ? frame(1, seq, seq % 60 === 0) : frame(2, seq));
        maxSlowQueue = Math.max(maxSlowQueue, slow.queuedFrameCount);
        assert.ok(fast.queuedFrameCount <= 50);
        if (seq % 50 === 49) await nextTurn();
      }
      assert.equal(maxSlowQueue, bound);
      assert.equal(stream.framesWritten, total);
      await stream.end('done');
      const got = frames(await fastEvents);
      assert.equal(got.length, total);
      assert.ok(got.every((f, i) => f.dts === i));
      assert.equal(fast.stats.dropped, 0);

      const events = await collect(slow);
      const firstFrame = events.findIndex((e) => e.type === 'frame');
      const resumed = frames(events);
      assert.ok(resumed.length > 0 && resumed.length <= bound);
      assert.deepEqual([resumed[0]!.trackId, resumed[0]!.keyframe], [VIDEO.id, true]);
      assert.ok(resumed.every((f, i) => f.dts === resumed[0]!.dts + i));
      assert.equal(resumed.at(-1)!.dts, total - 1);
      assert.deepEqual(events.at(-1), { type: 'end', reason: 'done' });
      assert.equal(slow.stats.delivered + slow.stats.dropped, total);
      assert.ok(slow.stats.overflows > 0);
      const overflows = events.filter((e) => e.type === 'overflow');
      const droppedTotal = await metric(metrics, 'spool_bus_frames_dropped_total', `{role="${role}"}`);
      assert.equal(droppedTotal, slow.stats.dropped);
      if (role === 'player') {
        assert.deepEqual(overflows, []);
      } else {
        // The subscriber never read during the stall: one overflow event carries every drop.
        assert.equal(events[firstFrame - 1]!.type, 'overflow');
        assert.equal(overflows.length, 1);
        assert.deepEqual(overflows[0], { type: 'overflow', droppedFrames: slow.stats.dropped });
      }
    });
  }

  test('a queue full at a keyframe drops what is queued and resumes at that keyframe', async () => {
    const { bus } = setup();
    const stream = await bus.publish(req('cam'));
    const requests: string[] = [];
    stream.onKeyframeRequest(({ requester }) => requests.push(requester));
    const recorder = stream.subscribe({ name: 'rec', role: 'recorder', maxQueueFrames: 3 });
    const player = stream.subscribe({ name: 'player', role: 'player', maxQueueFrames: 3 });
    const written = script('K a a K a v');
    for (const f of written) stream.writeFrame(f);
    const resumed = frameEvents(written.slice(3));
    assert.deepEqual((await reader(recorder)()).slice(2), [
      { type: 'overflow', droppedFrames: 3 },
      ...resumed,
    ]);
    assert.deepEqual((await reader(player)()).slice(2), resumed);
    for (const s of [recorder, player]) assert.deepEqual(s.stats, { delivered: 3, dropped: 3, overflows: 1 });
    await nextTurn();
    assert.deepEqual(requests, ['rec', 'player']);
  });

  test('end delivers queued frames, then end; for-await terminates; writes after end throw', async () => {
    const { bus, hooks, metrics } = setup();
    const unpublished: UnpublishedEvent[] = [];
    hooks.tap('p', 'unpublished', (event) => void unpublished.push(event));
    const stream = await bus.publish(req('cam'));
    const waiting = stream.subscribe({ name: 'waiting', role: 'recorder' });
    const queued = stream.subscribe({ name: 'queued', role: 'player' });
    const waitingEvents = collect(waiting);
    await nextTurn(); // the loop has taken the track events and now waits
    const written = script('K a');
    for (const f of written) stream.writeFrame(f);
    const first = stream.end('bye');
    assert.equal(stream.end('again'), first);
    assert.ok(stream.ended);
    assert.throws(() => stream.writeFrame(frame(1, 3, true)), isCode('SPOOL_ERR_STREAM_ENDED'));
    assert.throws(() => stream.subscribe({ name: 'x', role: 'player' }), isCode('SPOOL_ERR_STREAM_ENDED'));
    await first;
    await stream.end('third');
    const expected = frameEvents(written);
    assert.deepEqual((await waitingEvents).slice(-3), [...expected, { type: 'end', reason: 'bye' }]);
    assert.deepEqual((await collect(queued)).slice(2), [...expected, { type: 'end', reason: 'bye' }]);
    assert.equal(await queued.next(), undefined);
    assert.deepEqual(
      unpublished.map((e) => [e.reason, e.stream.mediaSessionId]),
      [['bye', stream.mediaSessionId]],
    );
    assert.equal(stream.subscriberCount, 0);
    assert.equal(await metric(metrics, 'spool_bus_subscribers'), 0);
    assert.equal(await metric(metrics, 'spool_streams_published', '{source="test"}'), 0);
  });

  test('close is idempotent, ends a pending or early-left iteration; the gauge goes back to 0', async () => {
    const { bus, metrics } = setup();
    const stream = await bus.publish(req('cam'));
    const a = stream.subscribe({ name: 'a', role: 'player' });
    const b = stream.subscribe({ name: 'b', role: 'recorder' });
    assert.equal(await metric(metrics, 'spool_bus_subscribers'), 2);
    const pending = collect(a);
    await nextTurn();
    a.close();
    a.close();
    assert.equal((await pending).length, 2); // the two track events, then the loop ended
    assert.ok(a.isClosed);
    assert.equal(stream.subscriberCount, 1);
    assert.equal(await metric(metrics, 'spool_bus_subscribers'), 1);
    stream.writeFrame(frame(1, 1, true));
    assert.equal(await a.next(), undefined);
    assert.equal(a.stats.delivered, 0);
    b.close();
    b.close();
    assert.equal(await metric(metrics, 'spool_bus_subscribers'), 0);
    assert.equal(b.queuedFrameCount, 0);
    assert.equal(await b.next(), undefined);
    const c = stream.subscribe({ name: 'c', role: 'player' });
    for await (const event of c) if (event.type === 'track') break; // leaving early closes it
    assert.ok(c.isClosed);
    assert.equal(stream.subscriberCount, 0);
    assert.equal(await metric(metrics, 'spool_bus_subscribers'), 0);
  });
});

describe('misuse is refused clearly', () => {
  test('end frees the name at once; a second pending next() and a queue bound below 1 throw', async () => {
    const { bus } = setup();
    const stream = await bus.publish(req('cam'));
    void stream.end('reconnect');
    const again = await bus.publish(req('cam'));
    assert.notEqual(again.mediaSessionId, stream.mediaSessionId);
    const silent = await bus.publish(req('silent', []));
    const sub = silent.subscribe({ name: 'p', role: 'player' });
    void sub.next();
    assert.throws(() => sub.next(), /another next\(\) is pending/);
    sub.close();
    assert.throws(() => again.subscribe({ name: 'z', role: 'player', maxQueueFrames: 0 }), RangeError);
  });
});

describe('StreamBus demand (streams on demand)', () => {
  /** A bus whose log lines are kept, and a provider of names cam://… that publishes them on pull. */
  function demandSetup(pullResult?: (name: string) => Promise<never>) {
    const lines: string[] = [];
    const logged = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const bus = new StreamBus(new Hooks(logged), logged, createKernelMetrics(), {
      playerQueueFrames: 8,
      recorderQueueFrames: 8,
    });
    const pulls: Array<{ name: string; timeoutMs: number }> = [];
    const provider: StreamProvider = {
      name: 'cams',
      accepts: (name) => name.startsWith('cam://'),
      streamName: (name) => redactCredentials(name),
      async pull(name, { timeoutMs }) {
        pulls.push({ name, timeoutMs });
        await nextTurn();
        if (pullResult !== undefined) return pullResult(name);
        return bus.publish(req(redactCredentials(name)));
      },
    };
    return { bus, lines, pulls, provider };
  }

  test('a published stream is returned as is; an unknown name no provider accepts is 404', async () => {
    const { bus, pulls, provider } = demandSetup();
    bus.addProvider(provider);
    const stream = await bus.publish(req('lobby'));
    assert.equal(await bus.demand('lobby'), stream);
    const named = await bus.publish(req('cam://door'));
    assert.equal(await bus.demand('cam://door'), named, 'published: the provider is not asked');
    assert.equal(pulls.length, 0);
    await assert.rejects(bus.demand('hall'), (error: unknown) => {
      assert.ok(isSpoolError(error, 'SPOOL_ERR_NOT_FOUND'));
      assert.equal(error.status, 404);
      assert.equal(error.message, 'no stream named "hall" is published, and no plugin can pull it');
      return true;
    });
    await assert.rejects(bus.demand('rtsp://u:pw@host/x'), /no stream named "rtsp:\/\/host\/x"/);
  });

  test('concurrent demands pull once; a name with credentials finds the stream named without them', async () => {
    const { bus, lines, pulls, provider } = demandSetup();
    bus.addProvider(provider);
    const [a, b, c] = await Promise.all([
      bus.demand('cam://admin:pw@yard', { timeoutMs: 1234 }),
      bus.demand('cam://admin:pw@yard'),
      bus.demand('cam://yard'),
    ]);
    assert.equal(a, b);
    assert.equal(a, c);
    assert.equal(a.name, 'cam://yard');
    assert.deepEqual(pulls, [{ name: 'cam://admin:pw@yard', timeoutMs: 1234 }]);
    assert.equal(await bus.demand('cam://other:pw@yard'), a, 'already published: no second pull');
    assert.equal(pulls.length, 1);
    await a.end('gone');
    const again = await bus.demand('cam://admin:pw@yard');
    assert.notEqual(again, a, 'after the stream ended, a new pull');
    assert.equal(pulls.length, 2);
    assert.equal(pulls[1]!.timeoutMs, 30_000, 'the default timeout');
    assert.ok(lines.some((l) => l.includes('stream \\"cam://yard\\" demanded: cams pulls it')));
    assert.ok(!lines.join('').includes('pw@'), 'no credentials in the log');
  });

  test('a failed pull is 502 with the reason, without credentials; a SpoolError of the provider passes', async () => {
    const { bus, lines, provider } = demandSetup((name) =>
      Promise.reject(new Error(`${name} refused: Unauthorized`)),
    );
    bus.addProvider(provider);
    await assert.rejects(bus.demand('cam://admin:pw@gate'), (error: unknown) => {
      assert.ok(isSpoolError(error, 'SPOOL_ERR_STREAM_UNAVAILABLE'));
      assert.equal(error.status, 502);
      assert.equal(
        error.message,
        'stream "cam://gate" could not be pulled by cams: cam://gate refused: Unauthorized',
      );
      return true;
    });
    assert.ok(!lines.join('').includes('pw@'), 'no credentials in the log');
    const refusing = demandSetup(() => Promise.reject(new SpoolError('SPOOL_ERR_BAD_REQUEST', 'bad URI')));
    refusing.bus.addProvider(refusing.provider);
    await assert.rejects(refusing.bus.demand('cam://x'), isCode('SPOOL_ERR_BAD_REQUEST'));
  });

  test('a provider that never answers is given up a second after the timeout', async () => {
    const { bus, provider } = demandSetup(() => new Promise<never>(() => {}));
    bus.addProvider(provider);
    const startedMs = Date.now();
    await assert.rejects(
      bus.demand('cam://stuck', { timeoutMs: 50 }),
      /^SpoolError: stream "cam:\/\/stuck" could not be pulled by cams: cams did not answer within 50 ms$/,
    );
    const tookMs = Date.now() - startedMs;
    assert.ok(tookMs >= 1000 && tookMs < 3000, `${tookMs} ms`);
  });

  test('the first provider that accepts the name pulls it; a removed provider is not asked', async () => {
    const { bus, provider } = demandSetup();
    const asked: string[] = [];
    const never: StreamProvider = {
      name: 'never',
      accepts: (name) => (asked.push(name), false),
      pull: () => Promise.reject(new Error('not called')),
    };
    const removeNever = bus.addProvider(never);
    const remove = bus.addProvider(provider);
    const second = bus.addProvider({
      ...provider,
      name: 'second',
      pull: () => Promise.reject(new Error('second')),
    });
    assert.equal((await bus.demand('cam://a')).name, 'cam://a');
    assert.deepEqual(asked, ['cam://a']);
    remove();
    remove();
    await assert.rejects(bus.demand('cam://b'), /could not be pulled by second: second/);
    second();
    removeNever();
    await assert.rejects(bus.demand('cam://b'), isCode('SPOOL_ERR_NOT_FOUND'));
    assert.deepEqual(asked, ['cam://a', 'cam://b']);
  });

  test('redactCredentials removes user:password@ after any scheme, and nothing else', () => {
    assert.equal(redactCredentials('rtsp://admin:p@ss@10.0.0.1:554/x'), 'rtsp://10.0.0.1:554/x');
    assert.equal(
      redactCredentials('a rtsp://u:p@h/x and RTSP://v@k/y failed'),
      'a rtsp://h/x and RTSP://k/y failed',
    );
    assert.equal(redactCredentials('rtsp://h/x?user=a@b'), 'rtsp://h/x?user=a@b');
    assert.equal(redactCredentials('alice@example.com'), 'alice@example.com');
  });
});
