import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSpool, type InProcessSpool } from '../../test/helpers/spool-in-process.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { waitFor } from '../../test/helpers/wait.js';
import { chromiumOffer } from '../../lib/webrtc/test-offers.js';

const tmp = new TempDir('spool-whip-http-');
let spool: InProcessSpool;
let base: string;

before(async () => {
  spool = await startSpool(tmp, {
    plugins: ['recorder', 'ingest-webrtc'],
    sets: [
      'ingest-webrtc.ice.addresses=127.0.0.1',
      'ingest-webrtc.ice.publicAddress=203.0.113.7',
      'ingest-webrtc.maxOfferBytes=8000',
      'ingest-webrtc.connectTimeoutMs=1500',
      'ingest-webrtc.ice.portMin=41000',
      'ingest-webrtc.ice.portMax=41999',
    ],
  });
  base = `http://127.0.0.1:${spool.spool.httpPort}`;
});
after(async () => {
  await spool.stop();
  tmp.cleanup();
});

function post(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', ...headers },
    body,
  });
}

async function errorOf(response: Response): Promise<{ status: number; error: string; code: string }> {
  const body = (await response.json()) as { error: string; code: string };
  return { status: response.status, ...body };
}

describe('WHIP over HTTP', () => {
  test('201 with the answer and a Location; DELETE there ends the publish; then 404', async () => {
    const response = await post('/whip/first?record=true&login=bob', chromiumOffer());
    assert.equal(response.status, 201, await response.clone().text());
    assert.match(response.headers.get('content-type') ?? '', /^application\/sdp/);
    const location = response.headers.get('location')!;
    assert.match(location, /^\/whip\/first\/[0-9a-f-]{36}$/);
    const answer = await response.text();
    const port = Number(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/.exec(answer)?.[1]);
    assert.ok(port >= 41000 && port <= 41999, `candidate port ${port} in ice.portMin-portMax`);
    assert.match(answer, /a=candidate:\S+ 1 udp \d+ 203\.0\.113\.7 \d+ typ host/, 'the public address too');
    assert.doesNotMatch(answer, /a=candidate:\S+ 1 udp \d+ (?!127\.0\.0\.1|203\.0\.113\.7)/);
    assert.match(answer, /a=fmtp:102 .*x-google-start-bitrate=2000/);
    assert.doesNotMatch(answer, /transport-cc/);
    const stream = spool.spool.bus.find('first')!;
    assert.deepEqual([stream.source, stream.login, stream.record], ['webrtc', 'bob', true]);
    assert.deepEqual(
      stream.tracks.map((t) => `${t.kind}:${t.codec}`),
      ['video:h264', 'audio:opus'],
    );

    assert.equal(response.headers.get('x-spool-media-session-id'), stream.mediaSessionId);
    assert.match(response.headers.get('access-control-expose-headers') ?? '', /X-Spool-Media-Session-Id/);

    const deleted = await fetch(`${base}${location}`, { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    assert.match(deleted.headers.get('content-type') ?? '', /^application\/json/);
    // Never connected, so nothing was recorded; the media session is named all the same.
    assert.deepEqual(await deleted.json(), { mediaSessionId: stream.mediaSessionId, recordings: [] });
    assert.equal(spool.spool.bus.find('first'), undefined);
    const again = await errorOf(await fetch(`${base}${location}`, { method: 'DELETE' }));
    assert.deepEqual([again.status, again.code], [404, 'SPOOL_ERR_NOT_FOUND']);
    const unknown = await fetch(`${base}/whip/nobody/00000000-0000-0000-0000-000000000000`, {
      method: 'DELETE',
    });
    assert.equal(unknown.status, 404);
  });

  test('a publish the server ended (never connected) still answers its first DELETE with its media session', async () => {
    const response = await post('/whip/dropped', chromiumOffer());
    assert.equal(response.status, 201);
    const mediaSessionId = response.headers.get('x-spool-media-session-id');
    // connectTimeoutMs is 1.5 s here: the server ends the publish on its own.
    await waitFor('publish dropped', () =>
      spool.spool.bus.find('dropped') === undefined ? true : undefined,
    );
    const deleted = await fetch(`${base}${response.headers.get('location')}`, { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    assert.deepEqual(await deleted.json(), { mediaSessionId, recordings: [] });
    const again = await fetch(`${base}${response.headers.get('location')}`, { method: 'DELETE' });
    assert.equal(again.status, 404, 'once');
  });

  test('409 for a name in use; the first publisher keeps it', async () => {
    const first = await post('/whip/taken', chromiumOffer());
    assert.equal(first.status, 201);
    const second = await errorOf(await post('/whip/taken', chromiumOffer()));
    assert.equal(second.status, 409);
    assert.match(second.error, /"taken" is already published/);
    await fetch(`${base}${first.headers.get('location')}`, { method: 'DELETE' });
  });

  test('400, 413, 415 and 422 say what is wrong with the request', async () => {
    const wrongType = await errorOf(await post('/whip/x', chromiumOffer(), { 'Content-Type': 'text/plain' }));
    assert.equal(wrongType.status, 415);
    assert.match(wrongType.error, /application\/sdp/);
    const notSdp = await errorOf(await post('/whip/x', '{"sdp": "v=0"}'));
    assert.deepEqual([notSdp.status, notSdp.code], [400, 'SPOOL_ERR_BAD_REQUEST']);
    const noIce = await errorOf(await post('/whip/x', chromiumOffer({ withIce: false })));
    assert.equal(noIce.status, 400);
    const noCodec = await errorOf(
      await post('/whip/x', chromiumOffer({ video: ['98 VP9/90000'], audio: ['0 PCMU/8000'] })),
    );
    assert.equal(noCodec.status, 422);
    assert.match(noCodec.error, /no usable codec/);
    const huge = await post('/whip/x', chromiumOffer() + 'a=x:' + 'y'.repeat(10_000) + '\r\n');
    assert.equal(huge.status, 413);
    const notUtf8 = await fetch(`${base}/whip/x`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp' },
      body: Uint8Array.of(0x76, 0x3d, 0x30, 0xff, 0xfe),
    });
    assert.equal(notUtf8.status, 400);
    assert.equal(spool.spool.bus.find('x'), undefined, 'nothing was published');
  });

  test('405 for PATCH (no trickle ICE) and other methods; OPTIONS answers a CORS preflight', async () => {
    const patch = await fetch(`${base}/whip/x/abc`, { method: 'PATCH', body: 'a=candidate:1' });
    assert.equal(patch.status, 405);
    assert.match((await errorOf(patch)).error, /trickle ICE/);
    const get = await fetch(`${base}/whip/x`);
    assert.deepEqual([get.status, get.headers.get('allow')], [405, 'POST, OPTIONS']);
    const preflight = await fetch(`${base}/whip/x`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://example.org', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    assert.equal(preflight.headers.get('accept-post'), 'application/sdp');
  });

  test('a publisher that never connects is dropped after connectTimeoutMs', async () => {
    const response = await post('/whip/ghost', chromiumOffer());
    assert.equal(response.status, 201);
    assert.ok(spool.spool.bus.find('ghost') !== undefined);
    await waitFor(
      'the stream to end',
      () => (spool.spool.bus.find('ghost') === undefined ? true : undefined),
      5000,
    );
    assert.ok(
      spool.log.messages().some((m) => /"ghost".*closed: ICE\/DTLS not connected within 1500 ms/.test(m)),
    );
    // The name is free again.
    const again = await post('/whip/ghost', chromiumOffer());
    assert.equal(again.status, 201);
    await fetch(`${base}${again.headers.get('location')}`, { method: 'DELETE' });
  });

  test('a publish refused by the publish hook is answered with its status and reason', async () => {
    spool.spool.hooks.tap('test', 'publish', (request) =>
      request.name === 'forbidden' ? { reason: 'not on the list', status: 403 } : undefined,
    );
    const refused = await errorOf(await post('/whip/forbidden', chromiumOffer()));
    assert.equal(refused.status, 403);
    assert.match(refused.error, /not on the list/);
  });
});

describe('WHIP with bearer-token auth', () => {
  test('the token decides the login; no token or a wrong one is 401', async () => {
    const authed = await startSpool(tmp, {
      plugins: ['recorder', 'ingest-webrtc'],
      sets: [
        'ingest-webrtc.ice.addresses=127.0.0.1',
        'ingest-webrtc.auth.enabled=true',
        'ingest-webrtc.auth.tokens=alice:s3cret,bob:t0ken',
      ],
    });
    try {
      const url = `http://127.0.0.1:${authed.spool.httpPort}/whip/authed?login=mallory`;
      const send = (headers: Record<string, string>) =>
        fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/sdp', ...headers },
          body: chromiumOffer(),
        });
      const missing = await send({});
      assert.equal(missing.status, 401);
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="whip"');
      assert.equal((await send({ Authorization: 'Bearer nope' })).status, 401);
      const ok = await send({ Authorization: 'Bearer t0ken' });
      assert.equal(ok.status, 201);
      assert.equal(authed.spool.bus.find('authed')?.login, 'bob');
      const location = `http://127.0.0.1:${authed.spool.httpPort}${ok.headers.get('location')}`;
      assert.equal((await fetch(location, { method: 'DELETE' })).status, 401, 'DELETE needs the token too');
      const othersDelete = await fetch(location, {
        method: 'DELETE',
        headers: { Authorization: 'Bearer s3cret' },
      });
      assert.equal(othersDelete.status, 404, "alice's token cannot end bob's publish");
      assert.equal(authed.spool.bus.find('authed')?.login, 'bob', 'still published');
      assert.equal(
        (await fetch(location, { method: 'DELETE', headers: { Authorization: 'Bearer t0ken' } })).status,
        200,
      );
    } finally {
      await authed.stop();
    }
  });
});

describe('WHIP robustness', () => {
  test('odd offers that pass the first checks get 400 or 201, never 500, and the server keeps going', async () => {
    const fuzzSpool = await startSpool(tmp, {
      plugins: ['recorder', 'ingest-webrtc'],
      sets: ['ingest-webrtc.ice.addresses=127.0.0.1', 'ingest-webrtc.connectTimeoutMs=1000'],
    });
    const url = (name: string) => `http://127.0.0.1:${fuzzSpool.spool.httpPort}/whip/${name}`;
    const offer = chromiumOffer();
    const variants: Record<string, string> = {
      'no-mid': offer.replace(/a=mid:\d\r\n/g, ''),
      'bad-fingerprint': offer.replace(/a=fingerprint:.*\r\n/g, 'a=fingerprint:sha-256 zz\r\n'),
      'no-setup': offer.replace(/a=setup:.*\r\n/g, ''),
      'bundle-unknown-mid': offer.replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 7 8'),
      'setup-passive': offer.replace(/a=setup:actpass/g, 'a=setup:passive'),
      'odd-rtpmap': offer.replace('a=rtpmap:102 H264/90000', 'a=rtpmap:102 H264/abc'),
      'no-ice-pwd': offer.replace(/a=ice-pwd:.*\r\n/g, ''),
      'many-sections': offer + offer.slice(offer.indexOf('m=video')).repeat(20),
    };
    try {
      for (const [name, sdp] of Object.entries(variants)) {
        const response = await fetch(url(name), {
          method: 'POST',
          headers: { 'Content-Type': 'application/sdp' },
          body: sdp,
        });
        assert.ok(
          [201, 400, 422].includes(response.status),
          `${name}: ${response.status} ${await response.text()}`,
        );
      }
      const health = await fetch(`http://127.0.0.1:${fuzzSpool.spool.httpPort}/health`);
      assert.equal(health.status, 200);
      await waitFor(
        'every odd publish to end',
        () => (fuzzSpool.spool.bus.list().length === 0 ? true : undefined),
        5000,
      );
    } finally {
      await fuzzSpool.stop();
    }
  });
});
