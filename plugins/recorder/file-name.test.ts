import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { describe, test } from 'node:test';
import { TempDir } from '../../test/helpers/tmp.js';
import {
  MAX_FILE_NAME_BYTES,
  TEMPLATE_ELEMENTS,
  endDependentElements,
  parseEncodeRecordName,
  recordingFileName,
  renderTemplate,
  type NamingPolicy,
  type TemplateValues,
} from './file-name.js';

const values: TemplateValues = {
  streamName: 'stream_ffmpeg',
  mediaSessionId: '5f2d0c1e-8a3b-4c5d-9e6f-0a1b2c3d4e5f',
  login: 'alice',
  sessionId: 'L3Rlc3QxLmZsYXNocGhvbmVyLmNvbToxOTM1L2xpdmU=',
  audioCodec: 'aac',
  videoCodec: 'h264',
  startTime: 0,
  endTime: 10012,
  startTimeMillis: 1553577643961,
  endTimeMillis: 1553577663988,
  durationMs: 10012,
};

const policy = (template: string, extra: Partial<NamingPolicy> = {}): NamingPolicy => ({
  template,
  encoding: 'none',
  excludeCharacters: '/',
  ...extra,
});

describe('stream_record_policy_template', () => {
  test('the default template', () => {
    assert.equal(
      recordingFileName(policy('stream-{mediaSessionId}-{login}'), values, { extension: 'mp4' }),
      'stream-5f2d0c1e-8a3b-4c5d-9e6f-0a1b2c3d4e5f-alice.mp4',
    );
  });

  test('every element of the reference', () => {
    const template = TEMPLATE_ELEMENTS.map((name) => `{${name}}`).join('|');
    assert.equal(
      renderTemplate(template, values),
      [
        'stream_ffmpeg',
        '10012',
        '0',
        '10012',
        '1553577643961',
        '1553577663988',
        values.sessionId,
        values.mediaSessionId,
        'alice',
        'aac',
        'h264',
      ].join('|'),
    );
  });

  test('each element is cut to its maximum size', () => {
    const long = 'x'.repeat(100);
    const rendered = renderTemplate(
      '{login}|{audioCodec}|{videoCodec}|{sessionId}|{mediaSessionId}|{streamName}',
      {
        ...values,
        login: long,
        audioCodec: 'mpeg4-generic',
        videoCodec: 'h264-high',
        sessionId: long,
        mediaSessionId: long,
        streamName: long,
      },
    );
    assert.deepEqual(
      rendered.split('|').map((part) => part.length),
      [32, 4, 4, 60, 36, 100],
    );
    assert.equal(renderTemplate('{startTime}', { ...values, startTime: 1e25 }).length, 20);
  });

  test('elements not known yet stay as written; unknown elements are left alone', () => {
    const running = { ...values, endTime: undefined, endTimeMillis: undefined, durationMs: undefined };
    assert.equal(renderTemplate('{streamName}-{startTime}-{endTime}', running), 'stream_ffmpeg-0-{endTime}');
    assert.equal(renderTemplate('{streamName}-{nonsense}', values), 'stream_ffmpeg-{nonsense}');
    assert.deepEqual(endDependentElements('{streamName}-{endTime}-{duration}'), ['endTime', 'duration']);
  });

  test('rotation parts are numbered _N before the extension', () => {
    const name = recordingFileName(policy('{streamName}-{startTimeMillis}-{endTimeMillis}'), values, {
      extension: 'mp4',
      part: 2,
    });
    assert.equal(name, 'stream_ffmpeg-1553577643961-1553577663988_2.mp4');
  });
});

describe('encode_record_name and exclude_record_name_characters', () => {
  test('parses the properties syntax', () => {
    assert.equal(parseEncodeRecordName('true,HEX'), 'hex');
    assert.equal(parseEncodeRecordName('true, BASE64'), 'base64');
    assert.equal(parseEncodeRecordName('true'), 'hex');
    assert.equal(parseEncodeRecordName('false'), 'none');
    assert.throws(() => parseEncodeRecordName('true,ROT13'), /ROT13/);
    assert.throws(() => parseEncodeRecordName('maybe'), /true,HEX/);
  });

  test('HEX and BASE64 encode the whole name; BASE64 is the URL- and file-safe alphabet', () => {
    const slashy = { ...values, streamName: 'live/cam?1>' };
    assert.equal(
      recordingFileName(policy('{streamName}', { encoding: 'hex' }), slashy, { extension: 'mp4' }),
      `${Buffer.from('live/cam?1>').toString('hex')}.mp4`,
    );
    const base64 = recordingFileName(policy('{streamName}', { encoding: 'base64' }), slashy, {
      extension: 'mp4',
    });
    assert.equal(base64, `${Buffer.from('live/cam?1>').toString('base64url')}.mp4`);
    assert.doesNotMatch(base64, /[/+=]/);
  });

  test('excluded characters are removed', () => {
    const name = recordingFileName(
      policy('{streamName}', { excludeCharacters: ':.,/' }),
      { ...values, streamName: 'a:b.c,d/e' },
      {
        extension: 'webm',
      },
    );
    assert.equal(name, 'abcde.webm');
  });
});

describe('file-name safety', () => {
  const hostile = [
    '../../etc/passwd',
    '/abs/path',
    '..',
    '.',
    'a\\b',
    'tab\there',
    'nul\u0000x',
    '-rf',
    '$(touch x)',
    'спорт ⚽ live',
    ' spaced name ',
  ];

  test('no name leaves record_dir, whatever the template and exclusions', () => {
    const tmp = new TempDir('spool-names-');
    const recordDir = join(tmp.path, 'records');
    mkdirSync(recordDir);
    try {
      for (const streamName of hostile) {
        for (const excludeCharacters of ['/', '', ':.']) {
          const name = recordingFileName(
            policy('{streamName}', { excludeCharacters }),
            { ...values, streamName },
            {
              extension: 'mp4',
            },
          );
          const path = resolve(recordDir, name);
          assert.equal(dirname(path), recordDir, `${JSON.stringify(streamName)} → ${JSON.stringify(name)}`);
          // eslint-disable-next-line no-control-regex -- control characters are what must be absent
          assert.doesNotMatch(name, /[/\u0000-\u001f]/);
          assert.ok(!name.startsWith('-'));
          writeFileSync(path, 'x');
        }
      }
      assert.ok(!existsSync(join(tmp.path, 'x')), 'nothing was executed');
      assert.equal(readdirSync(tmp.path).join(), 'records');
    } finally {
      tmp.cleanup();
    }
  });

  test('spaces, unicode and shell syntax are kept as plain characters', () => {
    for (const streamName of ['spaced name', 'спорт ⚽ live', '$(touch x)']) {
      assert.equal(
        recordingFileName(policy('{streamName}'), { ...values, streamName }, { extension: 'mp4' }),
        `${streamName}.mp4`,
      );
    }
  });

  test('an empty result falls back to the media session id', () => {
    const name = recordingFileName(policy('{login}'), { ...values, login: '' }, { extension: 'mp4' });
    assert.equal(name, `${values.mediaSessionId}.mp4`);
    assert.equal(
      recordingFileName(policy('{streamName}'), { ...values, streamName: '..' }, { extension: 'mp4' }),
      '__.mp4',
    );
  });

  test('names are trimmed to 255 bytes including the extension, without splitting characters', () => {
    const streamName = 'é'.repeat(300);
    const name = recordingFileName(
      policy('{streamName}'),
      { ...values, streamName },
      { extension: 'mp4', part: 12 },
    );
    assert.ok(Buffer.byteLength(name) <= MAX_FILE_NAME_BYTES);
    assert.ok(Buffer.byteLength(name) >= MAX_FILE_NAME_BYTES - 1);
    assert.match(name, /^é+_12\.mp4$/);
    const ascii = recordingFileName(
      policy('{streamName}'),
      { ...values, streamName: 'a'.repeat(400) },
      { extension: 'webm' },
    );
    assert.equal(Buffer.byteLength(ascii), MAX_FILE_NAME_BYTES);
  });
});
