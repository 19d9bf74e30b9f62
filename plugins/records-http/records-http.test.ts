import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Spool } from '../../core/index.js';
import { LogCapture } from '../../test/helpers/log.js';
import { makeClip } from '../../test/helpers/media-file.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { recordName } from './record-files.js';
import { parseRange } from '../../lib/http/byte-range.js';
import { contentDisposition } from '../../lib/http/content-disposition.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw HTTP request: the path goes on the wire exactly as given (no URL normalisation). */
function raw(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const tmp = new TempDir('spool-records-http-');
after(() => tmp.cleanup());
const recordDir = join(tmp.path, 'records');
const outside = join(tmp.path, 'outside');
mkdirSync(recordDir);
mkdirSync(outside);
const pluginsFile = tmp.json('plugins.json', { plugins: [{ name: 'records-http', enabled: true }] });

const UNICODE_NAME = 'запись é 1.mp4';
let clip: Buffer;

async function withSpool(sets: string[], run: (port: number) => Promise<void>): Promise<void> {
  const spool = await Spool.create({
    pluginsFile,
    sets: ['http.port=0', 'http.host=127.0.0.1', `records-http.recordDir=${recordDir}`, ...sets],
    env: {},
    logDestination: new LogCapture(),
  });
  await spool.start();
  try {
    await run(spool.httpPort);
  } finally {
    await spool.stop();
  }
}

before(async () => {
  const source = await makeClip({ seconds: 2, bFrames: 0 });
  copyFileSync(source, join(recordDir, 'cam.mp4'));
  copyFileSync(source, join(recordDir, UNICODE_NAME));
  clip = readFileSync(join(recordDir, 'cam.mp4'));
  tmp.file('records/a.webm', 'webm');
  tmp.file('records/a.mkv', 'mkv');
  tmp.file('records/a.ts', 'ts');
  tmp.file('records/a.bin', 'bin');
  tmp.file('records/.spool-r1.mp4', 'in progress');
  tmp.file('records/.spool-r2.finalizing.mp4', 'finalizing');
  tmp.file('records/r1.journal.json', '{}');
  mkdirSync(join(recordDir, 'sub.mp4'));
  tmp.file('records/sub.mp4/inner.mp4', 'inner');
  tmp.file('outside/secret.mp4', 'secret outside record_dir');
  symlinkSync(join(outside, 'secret.mp4'), join(recordDir, 'escape.mp4'));
  symlinkSync(outside, join(recordDir, 'escape-dir'));
  symlinkSync(join(recordDir, '.spool-r1.mp4'), join(recordDir, 'progress-link.mp4'));
  symlinkSync(join(recordDir, 'cam.mp4'), join(recordDir, 'cam-link.mp4'));
});

describe('records-http', () => {
  test('GET serves the whole recording with its headers; HEAD the same headers without a body', async () => {
    await withSpool([], async (port) => {
      const got = await raw(port, '/client/records/cam.mp4');
      assert.equal(got.status, 200);
      assert.ok(got.body.equals(clip));
      assert.ok(clip.length > 1000);
      assert.equal(got.headers['content-type'], 'video/mp4');
      assert.equal(got.headers['content-length'], String(clip.length));
      assert.equal(got.headers['accept-ranges'], 'bytes');
      assert.equal(got.headers['content-disposition'], 'inline;filename="cam.mp4"');
      assert.match(String(got.headers.etag), /^"[0-9a-f]+-[0-9a-f]+"$/);
      const mtime = statSync(join(recordDir, 'cam.mp4')).mtime;
      assert.equal(got.headers['last-modified'], mtime.toUTCString());

      const head = await raw(port, '/client/records/cam.mp4', { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      assert.equal(head.headers['content-length'], String(clip.length));
      assert.equal(head.headers['content-type'], 'video/mp4');
      assert.equal(head.headers.etag, got.headers.etag);
      assert.equal(head.headers['accept-ranges'], 'bytes');

      // A symlink that stays inside record_dir is served.
      const link = await raw(port, '/client/records/cam-link.mp4');
      assert.equal(link.status, 200);
      assert.ok(link.body.equals(clip));
    });
  });

  test('byte ranges: a-b, a-, suffix, unsatisfiable, several ranges', async () => {
    await withSpool([], async (port) => {
      const size = clip.length;
      const first = await raw(port, '/client/records/cam.mp4', { headers: { Range: 'bytes=0-99' } });
      assert.equal(first.status, 206);
      assert.equal(first.body.length, 100);
      assert.ok(first.body.equals(clip.subarray(0, 100)));
      assert.equal(first.headers['content-range'], `bytes 0-99/${size}`);
      assert.equal(first.headers['content-length'], '100');
      assert.equal(first.headers['content-type'], 'video/mp4');

      const open = await raw(port, '/client/records/cam.mp4', { headers: { Range: 'bytes=1000-' } });
      assert.equal(open.status, 206);
      assert.ok(open.body.equals(clip.subarray(1000)));
      assert.equal(open.headers['content-range'], `bytes 1000-${size - 1}/${size}`);

      const suffix = await raw(port, '/client/records/cam.mp4', { headers: { Range: 'bytes=-500' } });
      assert.equal(suffix.status, 206);
      assert.equal(suffix.body.length, 500);
      assert.ok(suffix.body.equals(clip.subarray(size - 500)));
      assert.equal(suffix.headers['content-range'], `bytes ${size - 500}-${size - 1}/${size}`);

      const clamped = await raw(port, '/client/records/cam.mp4', {
        headers: { Range: `bytes=${size - 10}-${size + 1000}` },
      });
      assert.equal(clamped.status, 206);
      assert.equal(clamped.body.length, 10);
      assert.equal(clamped.headers['content-range'], `bytes ${size - 10}-${size - 1}/${size}`);

      const headRange = await raw(port, '/client/records/cam.mp4', {
        method: 'HEAD',
        headers: { Range: 'bytes=0-99' },
      });
      assert.equal(headRange.status, 206);
      assert.equal(headRange.headers['content-length'], '100');
      assert.equal(headRange.body.length, 0);

      const beyond = await raw(port, '/client/records/cam.mp4', { headers: { Range: `bytes=${size}-` } });
      assert.equal(beyond.status, 416);
      assert.equal(beyond.headers['content-range'], `bytes */${size}`);
      assert.equal((JSON.parse(beyond.body.toString()) as { code: string }).code, 'SPOOL_ERR_BAD_REQUEST');

      const zeroSuffix = await raw(port, '/client/records/cam.mp4', { headers: { Range: 'bytes=-0' } });
      assert.equal(zeroSuffix.status, 416);

      const several = await raw(port, '/client/records/cam.mp4', { headers: { Range: 'bytes=0-1,5-9' } });
      assert.equal(several.status, 200);
      assert.ok(several.body.equals(clip));

      const stale = await raw(port, '/client/records/cam.mp4', {
        headers: { Range: 'bytes=0-99', 'If-Range': '"stale-etag"' },
      });
      assert.equal(stale.status, 200);
      assert.equal(stale.body.length, size);
    });
  });

  test('ETag and Last-Modified revalidation answer 304', async () => {
    await withSpool([], async (port) => {
      const first = await raw(port, '/client/records/cam.mp4', { method: 'HEAD' });
      const etag = String(first.headers.etag);
      const lastModified = String(first.headers['last-modified']);

      const byTag = await raw(port, '/client/records/cam.mp4', { headers: { 'If-None-Match': etag } });
      assert.equal(byTag.status, 304);
      assert.equal(byTag.body.length, 0);
      assert.equal(byTag.headers.etag, etag);

      const byWeakTag = await raw(port, '/client/records/cam.mp4', {
        headers: { 'If-None-Match': `"other", W/${etag}` },
      });
      assert.equal(byWeakTag.status, 304);

      const otherTag = await raw(port, '/client/records/cam.mp4', {
        headers: { 'If-None-Match': '"other"' },
      });
      assert.equal(otherTag.status, 200);
      assert.equal(otherTag.body.length, clip.length);

      const byDate = await raw(port, '/client/records/cam.mp4', {
        headers: { 'If-Modified-Since': lastModified },
      });
      assert.equal(byDate.status, 304);
      assert.equal(byDate.body.length, 0);

      const older = new Date(Date.parse(lastModified) - 60_000).toUTCString();
      const modified = await raw(port, '/client/records/cam.mp4', {
        headers: { 'If-Modified-Since': older },
      });
      assert.equal(modified.status, 200);
      assert.equal(modified.body.length, clip.length);

      // If-None-Match wins over If-Modified-Since.
      const both = await raw(port, '/client/records/cam.mp4', {
        headers: { 'If-None-Match': '"other"', 'If-Modified-Since': lastModified },
      });
      assert.equal(both.status, 200);
    });
  });

  test('Content-Type per extension and Content-Disposition inline, with a unicode name', async () => {
    await withSpool([], async (port) => {
      const types: Array<[string, string]> = [
        ['a.webm', 'video/webm'],
        ['a.mkv', 'video/x-matroska'],
        ['a.ts', 'video/mp2t'],
        ['a.bin', 'application/octet-stream'],
      ];
      for (const [name, type] of types) {
        const response = await raw(port, `/client/records/${name}`);
        assert.equal(response.status, 200, name);
        assert.equal(response.headers['content-type'], type, name);
      }
      const unicode = await raw(port, `/client/records/${encodeURIComponent(UNICODE_NAME)}`);
      assert.equal(unicode.status, 200);
      assert.ok(unicode.body.equals(clip));
      assert.equal(
        unicode.headers['content-disposition'],
        `inline;filename="${'_'.repeat(6)} _ 1.mp4";filename*=UTF-8''${encodeURIComponent(UNICODE_NAME)}`,
      );
      const ranged = await raw(port, `/client/records/${encodeURIComponent(UNICODE_NAME)}`, {
        headers: { Range: 'bytes=-100' },
      });
      assert.equal(ranged.status, 206);
      assert.ok(ranged.body.equals(clip.subarray(clip.length - 100)));
    });
  });

  test('Content-Disposition attachment, set by its properties key too', async () => {
    await withSpool(['records-http.contentDisposition=attachment'], async (port) => {
      const response = await raw(port, '/client/records/cam.mp4', { method: 'HEAD' });
      assert.equal(response.headers['content-disposition'], 'attachment;filename="cam.mp4"');
    });
    const properties = tmp.file(
      'wcs.properties',
      `record_dir=${recordDir}\nrecord_response_content_disposition_header_value=attachment\n`,
    );
    const spool = await Spool.create({
      pluginsFile,
      propertiesFiles: [properties],
      sets: ['http.port=0', 'http.host=127.0.0.1'],
      env: {},
      logDestination: new LogCapture(),
    });
    await spool.start();
    try {
      const response = await raw(spool.httpPort, '/client/records/cam.mp4');
      assert.equal(response.status, 200);
      assert.ok(response.body.equals(clip));
      assert.equal(response.headers['content-disposition'], 'attachment;filename="cam.mp4"');
    } finally {
      await spool.stop();
    }
  });

  test('traversal, encoded separators, symlinks out, hidden files, journals and directories are 404', async () => {
    await withSpool([], async (port) => {
      const attempts = [
        '/client/records/../outside/secret.mp4',
        '/client/records/..%2Foutside%2Fsecret.mp4',
        '/client/records/..%2foutside%2fsecret.mp4',
        '/client/records/..%252Foutside%252Fsecret.mp4',
        '/client/records/%2E%2E%2Foutside%2Fsecret.mp4',
        '/client/records/..',
        '/client/records/%2E%2E',
        '/client/records/..%5Coutside%5Csecret.mp4',
        '/client/records/..%255Coutside%255Csecret.mp4',
        '/client/records/..\\outside\\secret.mp4',
        `/client/records/${encodeURIComponent(join(outside, 'secret.mp4'))}`,
        `/client/records/${join(outside, 'secret.mp4')}`,
        '/client/records//etc/passwd',
        '/client/records/%2Fetc%2Fpasswd',
        '/client/records/cam.mp4%00.txt',
        '/client/records/cam.mp4%2500',
        '/client/records/%E0%A4%A',
        '/client/records/escape.mp4',
        '/client/records/escape-dir%2Fsecret.mp4',
        '/client/records/escape-dir/secret.mp4',
        '/client/records/progress-link.mp4',
        '/client/records/.spool-r1.mp4',
        '/client/records/.spool-r2.finalizing.mp4',
        '/client/records/%2Espool-r1.mp4',
        '/client/records/r1.journal.json',
        '/client/records/sub.mp4',
        '/client/records/sub.mp4%2Finner.mp4',
        '/client/records/sub.mp4/inner.mp4',
        '/client/records/escape-dir',
        '/client/records/',
        '/client/records/missing.mp4',
      ];
      for (const path of attempts) {
        for (const method of ['GET', 'HEAD']) {
          const response = await raw(port, path, { method });
          assert.equal(response.status, 404, `${method} ${path}`);
          assert.ok(!response.body.toString().includes('secret outside'), path);
          assert.ok(!response.body.toString().includes('in progress'), path);
        }
      }
      // These reach the handler (the route matches) and are refused by its checks, not by routing.
      for (const name of [
        'escape.mp4',
        'progress-link.mp4',
        '.spool-r1.mp4',
        'r1.journal.json',
        'sub.mp4',
        '..%2Fx',
      ]) {
        const response = await raw(port, `/client/records/${name}`);
        assert.deepEqual(JSON.parse(response.body.toString()), {
          error: 'no such record',
          code: 'SPOOL_ERR_NOT_FOUND',
        });
      }
      // The file outside really exists and is readable: only the server's checks refuse it.
      assert.equal(readFileSync(join(recordDir, 'escape.mp4'), 'utf8'), 'secret outside record_dir');
    });
  });
});

describe('records-http helpers', () => {
  test('recordName', () => {
    assert.equal(recordName('cam.mp4'), 'cam.mp4');
    assert.equal(recordName('a%20b.mp4'), 'a b.mp4');
    assert.equal(recordName('100%25.mp4'), '100%.mp4');
    for (const bad of [
      '..',
      '%2e%2e',
      'a%2Fb',
      'a%252Fb',
      'a%5Cb',
      'a%00',
      '%2Fetc',
      '.x',
      'j.journal.json',
      '%E0%A4%A',
      '',
    ]) {
      assert.equal(recordName(bad), undefined, bad);
    }
  });

  test('parseRange', () => {
    assert.deepEqual(parseRange('bytes=0-99', 1000), { start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=990-', 1000), { start: 990, end: 999 });
    assert.deepEqual(parseRange('bytes=-10', 1000), { start: 990, end: 999 });
    assert.deepEqual(parseRange('bytes=-5000', 1000), { start: 0, end: 999 });
    assert.deepEqual(parseRange('bytes=900-5000', 1000), { start: 900, end: 999 });
    assert.equal(parseRange('bytes=1000-', 1000), 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 1000), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
    assert.equal(parseRange('bytes=5-1', 1000), undefined);
    assert.equal(parseRange('bytes=0-1,3-4', 1000), undefined);
    assert.equal(parseRange('items=0-1', 1000), undefined);
    assert.equal(parseRange(undefined, 1000), undefined);
  });

  test('contentDisposition', () => {
    assert.equal(contentDisposition('inline', 'a.mp4'), 'inline;filename="a.mp4"');
    assert.equal(contentDisposition('attachment', 'a.mp4'), 'attachment;filename="a.mp4"');
    assert.equal(
      contentDisposition('inline', 'é"(1).mp4'),
      `inline;filename="__(1).mp4";filename*=UTF-8''%C3%A9%22%281%29.mp4`,
    );
  });
});
