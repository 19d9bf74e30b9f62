import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contentTypeOf, staticSegments } from './static-files.js';

describe('web-examples static paths', () => {
  test('plain segments pass; a trailing slash means index.html', () => {
    assert.deepEqual(staticSegments(''), ['index.html']);
    assert.deepEqual(staticSegments('stream-recording/'), ['stream-recording', 'index.html']);
    assert.deepEqual(staticSegments('stream-recording/app.js'), ['stream-recording', 'app.js']);
    assert.deepEqual(staticSegments('a%20b.html'), ['a b.html']);
  });

  test('traversal, separators (also encoded twice), NUL, empty and hidden segments are refused', () => {
    for (const path of [
      '..',
      '../package.json',
      '%2e%2e/x',
      '..%2fx',
      'a%2fb',
      'a%5cb',
      'a%252fb',
      'a%00.html',
      'a//b',
      '.git/config',
      '%',
    ]) {
      assert.equal(staticSegments(path), undefined, path);
    }
  });

  test('content types of the served kinds; others are not served', () => {
    assert.equal(contentTypeOf('index.html'), 'text/html; charset=utf-8');
    assert.equal(contentTypeOf('app.js'), 'text/javascript; charset=utf-8');
    assert.equal(contentTypeOf('style.CSS'), 'text/css; charset=utf-8');
    assert.equal(contentTypeOf('index.ts'), undefined);
  });
});
