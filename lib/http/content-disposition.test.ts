import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contentDisposition } from './content-disposition.js';

describe('contentDisposition', () => {
  test('a plain ASCII name is quoted as it is', () => {
    assert.equal(contentDisposition('inline', 'a b.mp4'), 'inline;filename="a b.mp4"');
    assert.equal(contentDisposition('attachment', 'a.mp4'), 'attachment;filename="a.mp4"');
  });

  test('other names get an ASCII fallback with _ and an RFC 5987 filename*', () => {
    assert.equal(
      contentDisposition('inline', 'é"(1).mp4'),
      `inline;filename="__(1).mp4";filename*=UTF-8''%C3%A9%22%281%29.mp4`,
    );
    assert.equal(
      contentDisposition('attachment', "it's a\\b*.mp4"),
      `attachment;filename="it's a_b*.mp4";filename*=UTF-8''it%27s%20a%5Cb%2A.mp4`,
    );
    assert.equal(
      contentDisposition('inline', 'запись.mp4'),
      `inline;filename="______.mp4";filename*=UTF-8''${encodeURIComponent('запись.mp4')}`,
    );
  });
});
