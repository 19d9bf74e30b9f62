import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isDotName, safeName } from './safe-name.js';

describe('safeName', () => {
  test('plain names pass, percent-decoded once', () => {
    assert.equal(safeName('cam.mp4'), 'cam.mp4');
    assert.equal(safeName('a%20b.mp4'), 'a b.mp4');
    assert.equal(safeName('100%25.mp4'), '100%.mp4', 'a literal % that does not decode again');
    assert.equal(safeName('%D0%B7%D0%B0%D0%BF%D0%B8%D1%81%D1%8C.mp4'), 'запись.mp4');
    assert.equal(safeName('a..b'), 'a..b', 'dots inside a name are no traversal');
  });

  test('traversal, separators, NUL, empty, undecodable and dot names are refused, once or twice encoded', () => {
    for (const bad of [
      '',
      '.',
      '..',
      '%2e%2e',
      '%252e%252e',
      'a/b',
      'a%2Fb',
      'a%252Fb',
      'a%5Cb',
      'a%255Cb',
      'a\\b',
      'a%00',
      'a%2500',
      '%2Fetc',
      '/etc',
      '.git',
      '%2Egit',
      '%252Egit',
      '%',
      '%E0%A4%A',
    ]) {
      assert.equal(safeName(bad), undefined, bad);
    }
  });

  test('a caller hides more names with its own rule, also behind a second encoding', () => {
    const isJournal = (name: string) => isDotName(name) || name.endsWith('.journal.json');
    assert.equal(safeName('r1.journal.json', isJournal), undefined);
    assert.equal(safeName('r1%252Ejournal.json', isJournal), undefined);
    assert.equal(safeName('r1.journal.json'), 'r1.journal.json', 'the default rule hides dot names only');
    assert.equal(
      safeName('.x', () => false),
      '.x',
    );
    assert.equal(
      safeName('..', () => false),
      undefined,
      'whatever the rule, `..` is traversal',
    );
    assert.equal(
      safeName('%252E%252E', () => false),
      undefined,
    );
  });
});
