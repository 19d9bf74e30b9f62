import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { isSpoolError } from '../errors.js';
import { parseProperties, type PropertyEntry } from './properties.js';

const parse = (text: string) => parseProperties(text, 'server.properties');
const entry = (key: string, value: string, line: number): PropertyEntry => ({ key, value, line });

describe('parseProperties', () => {
  test('skips # and ! comments (also indented) and blank lines; counts lines', () => {
    const text = ['# comment', '! also a comment', '', '   ', '\t# indented comment', 'a=1', '  ! x', 'b=2'];
    assert.deepEqual(parse(text.join('\n')), [entry('a', '1', 6), entry('b', '2', 8)]);
  });

  test('accepts =, : and whitespace as separators, with spaces around them', () => {
    const text = [
      'a=1',
      'b = 2',
      'c: 3',
      'd 4',
      'e\t=\t5',
      '   f   =   6',
      'g:=7',
      'h',
      'i=',
      'j = a = b',
      'url=http://host:8080/p?q=1',
    ];
    assert.deepEqual(
      parse(text.join('\n')).map((e) => [e.key, e.value]),
      [
        ['a', '1'],
        ['b', '2'],
        ['c', '3'],
        ['d', '4'],
        ['e', '5'],
        ['f', '6'],
        ['g', '=7'],
        ['h', ''],
        ['i', ''],
        ['j', 'a = b'],
        ['url', 'http://host:8080/p?q=1'],
      ],
    );
  });

  test('trims trailing spaces and tabs from values', () => {
    assert.deepEqual(parse('record_dir=/var/rec   \nrotation = 20\t \n'), [
      entry('record_dir', '/var/rec', 1),
      entry('rotation', '20', 2),
    ]);
  });

  test('joins continued lines, dropping the continuation lines leading whitespace', () => {
    const text = 'formats=h264-mp4,\\\n    vp8-webm,\\\n\t\th264-ts\nnext=1\n';
    assert.deepEqual(parse(text), [entry('formats', 'h264-mp4,vp8-webm,h264-ts', 1), entry('next', '1', 4)]);
  });

  test('an even number of trailing backslashes is no continuation', () => {
    assert.deepEqual(parse('dir=C:\\\\\nnext=1'), [entry('dir', 'C:\\', 1), entry('next', '1', 2)]);
  });

  test('a continuation on the last line ends the entry', () => {
    assert.deepEqual(parse('a=1\\'), [entry('a', '1', 1)]);
    assert.deepEqual(parse('a=1\\\n'), [entry('a', '1', 1)]);
  });

  test('a comment ending in a backslash does not continue; a continued line starting with # does', () => {
    assert.deepEqual(parse('# note \\\na=1\\\n#2'), [entry('a', '1#2', 2)]);
  });

  test('decodes \\uXXXX and character escapes in keys and values', () => {
    const text = [
      'name=caf\\u00e9 \\u4e2d',
      'tab=a\\tb',
      'nl=a\\nb',
      'dir=C:\\\\records',
      'plain=a\\qb',
      'my\\ key=spaced key',
      'a\\=b=equals in key',
      'c\\:d:colon in key',
    ];
    assert.deepEqual(
      parse(text.join('\n')).map((e) => [e.key, e.value]),
      [
        ['name', 'café 中'],
        ['tab', 'a\tb'],
        ['nl', 'a\nb'],
        ['dir', 'C:\\records'],
        ['plain', 'aqb'],
        ['my key', 'spaced key'],
        ['a=b', 'equals in key'],
        ['c:d', 'colon in key'],
      ],
    );
  });

  test('reads CRLF and CR files and ignores a byte order mark', () => {
    const expected = [entry('a', '1', 1), entry('b', '2', 2), entry('c', 'x y', 4)];
    assert.deepEqual(parse('\uFEFFa=1\r\nb=2 \r\n# c\r\nc=x \\\r\n  y\r\n'), expected);
    assert.deepEqual(parse('a=1\rb=2\r#\rc=x y\r'), expected);
    for (const e of parse('a=1\r\nb=2\r\n')) assert.doesNotMatch(e.value, /\r/);
  });

  test('returns duplicate keys in file order, each with its line', () => {
    assert.deepEqual(parse('a=1\nb=2\na=3'), [entry('a', '1', 1), entry('b', '2', 2), entry('a', '3', 3)]);
  });

  test('an entry without a key is an error naming the file and the line', () => {
    for (const text of ['a=1\n\n=value', 'a=1\n\n  : value']) {
      assert.throws(
        () => parse(text),
        (error: unknown) =>
          isSpoolError(error, 'SPOOL_ERR_CONFIG_FILE') && /server\.properties line 3/.test(error.message),
      );
    }
  });

  test('returns nothing for an empty file or one with only comments', () => {
    assert.deepEqual(parse(''), []);
    assert.deepEqual(parse('# only\n!comments\n\n'), []);
  });

  test('escaped blanks at either end of a value are kept; a malformed \\u escape is refused with its line', () => {
    assert.deepEqual(parse('a=x\\ \nc=\\ \\ lead  '), [entry('a', 'x ', 1), entry('c', '  lead', 2)]);
    assert.throws(
      () => parse('ok=1\nbad=\\u12zz'),
      (error: unknown) =>
        isSpoolError(error, 'SPOOL_ERR_CONFIG_FILE') && /line 2: malformed/.test(error.message),
    );
  });
});
