import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSessionDescription } from './description.js';
import { fmtpParameters, payloadFormats } from './payload-formats.js';

test('payload formats in m= line order, with their first rtpmap and fmtp; static types have no rtpmap', () => {
  const [media] = parseSessionDescription(
    [
      'v=0',
      'm=audio 0 RTP/AVP 97 8 101',
      'a=rtpmap:97 MPEG4-GENERIC/44100/2',
      'a=fmtp:97 streamtype=5; Mode=AAC-hbr;config=121056e500',
      'a=rtpmap:101 telephone-event/',
      'a=rtpmap:97 ignored/1',
      '',
    ].join('\r\n'),
  ).media;
  assert.deepEqual(payloadFormats(media!), [
    {
      payloadType: 97,
      rtpmap: { encodingName: 'MPEG4-GENERIC', clockRate: 44100, encodingParameters: '2' },
      parameters: new Map([
        ['streamtype', '5'],
        ['mode', 'AAC-hbr'],
        ['config', '121056e500'],
      ]),
    },
    { payloadType: 8, rtpmap: undefined, parameters: new Map() },
    {
      payloadType: 101,
      rtpmap: { encodingName: 'telephone-event', clockRate: undefined, encodingParameters: undefined },
      parameters: new Map(),
    },
  ]);
});

test('fmtp parameters: names lower-case, blanks trimmed, values kept as text, items without = skipped', () => {
  assert.deepEqual(
    fmtpParameters(' Packetization-Mode = 1 ;profile-level-id=42001f;;odd;sprop-parameter-sets=Z0I=,aM4='),
    new Map([
      ['packetization-mode', '1'],
      ['profile-level-id', '42001f'],
      ['sprop-parameter-sets', 'Z0I=,aM4='],
    ]),
  );
});
