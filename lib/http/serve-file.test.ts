import assert from 'node:assert/strict';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Koa from 'koa';
import { TempDir } from '../../test/helpers/tmp.js';
import { serveFile, type ServeFileOptions } from './serve-file.js';

const tmp = new TempDir('spool-lib-http-serve-');
const content = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
const file = join(tmp.path, 'clip.mp4');
writeFileSync(file, content);
const empty = tmp.file('empty.bin', '');
mkdirSync(join(tmp.path, 'folder'));

/** path and options per request path; a file serveFile refuses answers 404 'refused'. */
const routes: Record<string, [string, ServeFileOptions]> = {
  '/clip': [file, { type: 'video/mp4' }],
  '/download': [file, { type: 'video/mp4', disposition: { kind: 'attachment', name: 'клип.mp4' } }],
  '/empty': [empty, { type: 'application/octet-stream' }],
  '/folder': [join(tmp.path, 'folder'), { type: 'text/plain' }],
  '/missing': [join(tmp.path, 'missing'), { type: 'text/plain' }],
};

const app = new Koa();
// As the kernel's HttpServer: a thrown status becomes a JSON body, the headers set so far stay.
app.use(async (ctx, next) => {
  try {
    await next();
  } catch (error) {
    ctx.status = (error as { status: number }).status;
    ctx.body = { error: (error as Error).message };
  }
});
app.use(async (ctx) => {
  const [path, options] = routes[ctx.path]!;
  if (!(await serveFile(ctx, path, options))) {
    ctx.status = 404;
    ctx.body = 'refused';
  }
});
const server = app.listen(0, '127.0.0.1');
let base: string;
before(async () => {
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
  tmp.cleanup();
});

async function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  const response = await fetch(base + path, { method, headers });
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

describe('serveFile', () => {
  test('GET: the whole file with its validators; HEAD: the same headers, no body', async () => {
    const { response, body } = await get('/clip');
    assert.equal(response.status, 200);
    assert.ok(body.equals(content));
    const stats = statSync(file);
    assert.equal(
      response.headers.get('etag'),
      `"${stats.size.toString(16)}-${stats.mtime.getTime().toString(16)}"`,
    );
    assert.equal(response.headers.get('last-modified'), stats.mtime.toUTCString());
    assert.equal(response.headers.get('accept-ranges'), 'bytes');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.equal(response.headers.get('content-type'), 'video/mp4');
    assert.equal(response.headers.get('content-length'), '1000');
    assert.equal(response.headers.get('content-disposition'), null, 'none unless asked for');

    const head = await get('/clip', {}, 'HEAD');
    assert.equal(head.response.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.response.headers.get('content-length'), '1000');
    assert.equal(head.response.headers.get('etag'), response.headers.get('etag'));
  });

  test('Content-Disposition with the name asked for', async () => {
    const { response } = await get('/download', {}, 'HEAD');
    assert.equal(
      response.headers.get('content-disposition'),
      `attachment;filename="____.mp4";filename*=UTF-8''${encodeURIComponent('клип.mp4')}`,
    );
  });

  test('a single range is 206; past the end 416 with the size; several ranges the whole file', async () => {
    const ranged = await get('/clip', { Range: 'bytes=100-199' });
    assert.equal(ranged.response.status, 206);
    assert.ok(ranged.body.equals(content.subarray(100, 200)));
    assert.equal(ranged.response.headers.get('content-range'), 'bytes 100-199/1000');
    assert.equal(ranged.response.headers.get('content-length'), '100');

    const suffix = await get('/clip', { Range: 'bytes=-5000' });
    assert.equal(suffix.response.status, 206);
    assert.equal(suffix.response.headers.get('content-range'), 'bytes 0-999/1000');

    const headRange = await get('/clip', { Range: 'bytes=0-9' }, 'HEAD');
    assert.equal(headRange.response.status, 206);
    assert.equal(headRange.response.headers.get('content-length'), '10');

    const beyond = await get('/clip', { Range: 'bytes=1000-' });
    assert.equal(beyond.response.status, 416);
    assert.equal(beyond.response.headers.get('content-range'), 'bytes */1000');
    assert.deepEqual(JSON.parse(beyond.body.toString()), { error: 'range not satisfiable' });

    const several = await get('/clip', { Range: 'bytes=0-1,5-9' });
    assert.equal(several.response.status, 200);
    assert.ok(several.body.equals(content));
  });

  test('If-Range: the range only while the ETag or the date still matches', async () => {
    const { response } = await get('/clip', {}, 'HEAD');
    const etag = response.headers.get('etag')!;
    const lastModified = response.headers.get('last-modified')!;
    for (const [ifRange, status] of [
      [etag, 206],
      [lastModified, 206],
      ['"stale"', 200],
      [`W/${etag}`, 200],
      [new Date(Date.parse(lastModified) - 1000).toUTCString(), 200],
      ['not a date', 200],
    ] as const) {
      const got = await get('/clip', { Range: 'bytes=0-9', 'If-Range': ifRange });
      assert.equal(got.response.status, status, ifRange);
    }
  });

  test('304 by ETag (weak comparison) or date; If-None-Match wins over If-Modified-Since; no-cache does not matter', async () => {
    const { response } = await get('/clip', {}, 'HEAD');
    const etag = response.headers.get('etag')!;
    const lastModified = response.headers.get('last-modified')!;
    const older = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    for (const [headers, status] of [
      [{ 'If-None-Match': etag }, 304],
      [{ 'If-None-Match': `"other", W/${etag}` }, 304],
      [{ 'If-None-Match': '*' }, 304],
      [{ 'If-None-Match': '"other"' }, 200],
      [{ 'If-Modified-Since': lastModified }, 304],
      [{ 'If-Modified-Since': older }, 200],
      [{ 'If-Modified-Since': 'not a date' }, 200],
      [{ 'If-None-Match': etag, 'If-Modified-Since': older }, 304],
      [{ 'If-None-Match': '"other"', 'If-Modified-Since': lastModified }, 200],
      // fetch sends `Cache-Control: no-cache` with every conditional request anyway.
      [{ 'If-None-Match': etag, 'Cache-Control': 'no-cache' }, 304],
    ] as const) {
      const got = await get('/clip', headers);
      assert.equal(got.response.status, status, JSON.stringify(headers));
      assert.equal(got.body.length, status === 304 ? 0 : 1000);
      assert.equal(got.response.headers.get('etag'), etag);
    }
  });

  test('an empty file is 200 with no body; any range on it 416', async () => {
    const whole = await get('/empty');
    assert.equal(whole.response.status, 200);
    assert.equal(whole.response.headers.get('content-length'), '0');
    assert.equal(whole.body.length, 0);
    assert.equal((await get('/empty', { Range: 'bytes=0-' })).response.status, 416);
  });

  test('a folder or a missing file: false, nothing answered', async () => {
    for (const path of ['/folder', '/missing']) {
      const { response, body } = await get(path);
      assert.equal(response.status, 404, path);
      assert.equal(body.toString(), 'refused');
      assert.equal(response.headers.get('etag'), null, path);
    }
  });
});
