import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { controlOf, parseSessionDescription, writeSessionDescription } from './description.js';
import { mediaLine, payloadTypes } from './media-line.js';

describe('SDP descriptions (sdp-transform)', () => {
  test('values that read as numbers come back as written; trailing blanks are not part of them', () => {
    const description = parseSessionDescription(
      'v=0\r\na=control:rtsp://cam/live \r\nm=audio 0 RTP/AVP 0\r\na=control:1\r\nm=video 0 RTP/AVP 96 97\n',
    );
    assert.equal(controlOf(description), 'rtsp://cam/live');
    assert.equal(controlOf(description.media[0]!), '1');
    assert.equal(controlOf(description.media[1]!), undefined);
    assert.deepEqual(payloadTypes(description.media[0]!), [0]);
    assert.deepEqual(payloadTypes(description.media[1]!), [96, 97]);
    assert.deepEqual(mediaLine(description.media[1]!), { type: 'video', port: 0, protocol: 'RTP/AVP' });
  });

  test('an m= line sdp-transform cannot read still opens a section, without its fields', () => {
    const description = parseSessionDescription('v=0\r\nm=video-x 9 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n');
    assert.equal(description.media.length, 1);
    assert.equal(mediaLine(description.media[0]!), undefined);
  });

  test('an edited description is written back with CRLF line ends', () => {
    const description = parseSessionDescription('v=0\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 98\r\n');
    description.media[0]!.port = 0;
    assert.match(
      writeSessionDescription(description),
      /^v=0\r\ns=-\r\nm=video 0 UDP\/TLS\/RTP\/SAVPF 96 98\r\n$/,
    );
  });
});
