import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Authenticator, parseChallenges } from './auth.js';
import { parseRtspUri, stripCredentials } from './rtsp-url.js';

const field = (header: string, name: string) => new RegExp(`${name}="?([^",]*)"?`).exec(header)?.[1];

describe('RTSP authentication', () => {
  test('Digest without qop: MD5(HA1:nonce:HA2)', () => {
    // RFC 2617 §3.5's credentials, computed independently (Python hashlib).
    const auth = new Authenticator({ username: 'Mufasa', password: 'Circle Of Life' });
    assert.equal(auth.authorization('GET', '/dir/index.html'), undefined, 'nothing before a challenge');
    assert.equal(
      auth.accept(['Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"'], false),
      true,
    );
    const header = auth.authorization('GET', '/dir/index.html')!;
    assert.equal(field(header, 'response'), '670fd8c2df070c60b045671b8b24ff02');
    assert.equal(field(header, 'uri'), '/dir/index.html');
    assert.equal(field(header, 'qop'), undefined);
  });

  test("Digest with qop=auth gives RFC 2617 §3.5's response for its cnonce", () => {
    const auth = new Authenticator({ username: 'Mufasa', password: 'Circle Of Life' }, () => '0a4f113b');
    auth.accept(
      [
        'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
      ],
      false,
    );
    const header = auth.authorization('GET', '/dir/index.html')!;
    assert.equal(field(header, 'qop'), 'auth');
    assert.equal(field(header, 'nc'), '00000001');
    assert.equal(field(header, 'opaque'), '5ccc069c403ebaf9f0171e9517f40e41');
    assert.equal(field(header, 'cnonce'), '0a4f113b');
    assert.equal(field(header, 'response'), '6629fae49393a05397450978507c4ef1');
    assert.equal(
      field(auth.authorization('GET', '/dir/index.html')!, 'nc'),
      '00000002',
      'nc counts per nonce',
    );
  });

  test('Basic, and when a retry cannot help', () => {
    const auth = new Authenticator({ username: 'admin', password: 'p@ss:word' });
    assert.equal(auth.accept(['Basic realm="cam"'], false), true);
    assert.equal(
      auth.authorization('DESCRIBE', 'rtsp://h/'),
      `Basic ${Buffer.from('admin:p@ss:word').toString('base64')}`,
    );
    assert.equal(auth.accept(['Basic realm="cam"'], true), false, 'refused credentials are not retried');
    assert.equal(new Authenticator(undefined).accept(['Basic realm="cam"'], false), false, 'no credentials');
    const digest = new Authenticator({ username: 'a', password: 'b' });
    assert.equal(digest.accept(['Digest realm="r", nonce="1"'], false), true);
    assert.equal(
      digest.accept(['Digest realm="r", nonce="2"'], true),
      false,
      'a new nonce alone is a refusal',
    );
    assert.equal(
      digest.accept(['Digest realm="r", nonce="3", stale=TRUE'], true),
      true,
      'stale nonce: retry',
    );
    assert.equal(digest.accept(['Negotiate abc'], false), false, 'unknown scheme');
  });

  test('prefers SHA-256 Digest over MD5 and Basic', () => {
    const challenges = parseChallenges([
      'Basic realm="x"',
      'Digest realm="x", nonce="n", algorithm=MD5',
      'Digest realm="x", nonce="n", algorithm=SHA-256, qop="auth"',
    ]);
    assert.deepEqual(
      challenges.map((c) => c.scheme),
      ['basic', 'digest', 'digest'],
    );
    const auth = new Authenticator({ username: 'u', password: 'p' });
    auth.accept(
      challenges.map((c) => `${c.scheme} ${[...c.params].map(([k, v]) => `${k}="${v}"`).join(', ')}`),
      false,
    );
    const header = auth.authorization('PLAY', 'rtsp://h/')!;
    assert.match(header, /^Digest /);
    assert.equal(field(header, 'algorithm'), 'SHA-256');
    assert.match(field(header, 'response')!, /^[0-9a-f]{64}$/);
  });

  test('credentials in the URI: URL-escaped characters, an unescaped @, and none', () => {
    assert.deepEqual(parseRtspUri('rtsp://admin:p%40ss%3Aw@cam.local:8554/live?ch=1'), {
      url: 'rtsp://cam.local:8554/live?ch=1',
      host: 'cam.local',
      port: 8554,
      username: 'admin',
      password: 'p@ss:w',
    });
    const unescaped = parseRtspUri('rtsp://admin:p@ss@10.0.0.2/live');
    assert.deepEqual([unescaped.password, unescaped.host, unescaped.port], ['p@ss', '10.0.0.2', 554]);
    assert.deepEqual(parseRtspUri('rtsp://[::1]/a'), { url: 'rtsp://[::1]/a', host: '::1', port: 554 });
    assert.throws(() => parseRtspUri('http://h/a'), /not an rtsp:\/\/ URI/);
    assert.throws(() => parseRtspUri('rtsps://h/a'), /not supported/);
    assert.throws(() => parseRtspUri('rtsp://a:%zz@h/'), /malformed %-escape/);
    assert.equal(stripCredentials('rtsp://u:secret@h/a'), 'rtsp://h/a');
    assert.equal(
      stripCredentials('rtsp://u:sec ret@h:x/a'),
      'rtsp://h:x/a',
      'unparseable: still no password',
    );
  });
});
