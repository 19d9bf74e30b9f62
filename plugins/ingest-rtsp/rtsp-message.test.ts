import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RtspError } from './rtsp-error.js';
import { formatRequest, header, RtspMessageParser, type RtspInput } from './rtsp-message.js';

const reply = (text: string) => Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1');
const interleaved = (channel: number, payload: Buffer) =>
  Buffer.concat([Buffer.of(0x24, channel, payload.length >> 8, payload.length & 0xff), payload]);

function thrown(run: () => unknown): RtspError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof RtspError, String(error));
    return error;
  }
  assert.fail('expected an RtspError');
}

describe('RtspMessageParser', () => {
  test('splits replies with bodies and interleaved frames, across any chunking', () => {
    const bytes = Buffer.concat([
      reply('RTSP/1.0 200 OK\nCSeq: 2\nContent-Length: 5\nWWW-Authenticate: a\nWWW-Authenticate: b\n\nv=0;x'),
      interleaved(0, Buffer.from('rtp-packet')),
      interleaved(3, Buffer.alloc(0)),
      reply('RTSP/1.0 454 Session Not Found\nCSeq: 3\n\n'),
    ]);
    for (const size of [1, 3, 7, bytes.length]) {
      const parser = new RtspMessageParser();
      const out: RtspInput[] = [];
      for (let i = 0; i < bytes.length; i += size) out.push(...parser.push(bytes.subarray(i, i + size)));
      assert.deepEqual(
        out.map((m) => m.kind),
        ['response', 'interleaved', 'interleaved', 'response'],
        `chunks of ${size}`,
      );
      const [ok, rtp, empty, missing] = out as [
        Extract<RtspInput, { kind: 'response' }>,
        Extract<RtspInput, { kind: 'interleaved' }>,
        Extract<RtspInput, { kind: 'interleaved' }>,
        Extract<RtspInput, { kind: 'response' }>,
      ];
      assert.equal(ok.response.statusCode, 200);
      assert.equal(ok.response.body.toString(), 'v=0;x');
      assert.deepEqual(ok.response.headers.get('www-authenticate'), ['a', 'b']);
      assert.equal(header(ok.response, 'CSeq'), '2');
      assert.deepEqual([rtp.channel, rtp.payload.toString()], [0, 'rtp-packet']);
      assert.deepEqual([empty.channel, empty.payload.length], [3, 0]);
      assert.deepEqual([missing.response.statusCode, missing.response.reason], [454, 'Session Not Found']);
      assert.equal(parser.bufferedBytes, 0);
    }
  });

  test('a request from the server is reported with its CSeq', () => {
    const [request] = new RtspMessageParser().push(reply('GET_PARAMETER rtsp://x/ RTSP/1.0\nCSeq: 9\n\n'));
    assert.deepEqual(request, { kind: 'request', method: 'GET_PARAMETER', cseq: '9' });
  });

  test('garbage, huge Content-Length and endless headers are protocol errors, bounded in memory', () => {
    const garbage = thrown(() =>
      new RtspMessageParser().push(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')),
    );
    assert.equal(garbage.kind, 'protocol');
    assert.match(garbage.message, /not RTSP: "HTTP\/1.1 400 Bad Request/);
    assert.match(
      thrown(() => new RtspMessageParser().push(Buffer.from('HELLO WORLD\r\n\r\n'))).message,
      /malformed RTSP status line "HELLO WORLD"/,
    );
    assert.match(
      thrown(() => new RtspMessageParser().push(Buffer.from('\x00\x01binary junk'))).message,
      /not RTSP: "\\u0000\\u0001binary junk"/,
    );
    const huge = thrown(() =>
      new RtspMessageParser().push(reply('RTSP/1.0 200 OK\nCSeq: 1\nContent-Length: 99999999999\n\n')),
    );
    assert.match(huge.message, /Content-Length 99999999999 is over the limit of 262144 bytes/);
    assert.match(
      thrown(() => new RtspMessageParser().push(reply('RTSP/1.0 200 OK\nContent-Length: -1\n\n'))).message,
      /bad Content-Length "-1"/,
    );
    const parser = new RtspMessageParser();
    const endless = () => {
      for (let i = 0; i < 100; i++)
        parser.push(Buffer.from(`RTSP/1.0 200 OK\r\nX-${i}: ${'a'.repeat(1000)}\r\n`));
    };
    assert.match(thrown(endless).message, /RTSP header longer than 16384 bytes/);
    assert.ok(parser.bufferedBytes < 20 * 1024, `${parser.bufferedBytes} bytes held`);
    assert.match(
      thrown(() => new RtspMessageParser().push(reply('RTSP/1.0 200 OK\nno colon here\n\n'))).message,
      /malformed RTSP header line/,
    );
  });

  test('while playing, junk between frames is skipped up to a limit', () => {
    const parser = new RtspMessageParser({ maxHeaderBytes: 1024, maxBodyBytes: 1024, maxSkipBytes: 100 });
    parser.playing = true;
    const out = parser.push(Buffer.concat([Buffer.from('\x00\x00junk'), interleaved(0, Buffer.from('x'))]));
    assert.deepEqual(
      out.map((m) => m.kind),
      ['interleaved'],
    );
    assert.match(thrown(() => parser.push(Buffer.alloc(200, 0x01))).message, /junk between RTP packets/);
  });

  test('formatRequest refuses header values with line breaks', () => {
    assert.equal(
      formatRequest('OPTIONS', 'rtsp://h/a', { CSeq: '1' }).toString(),
      'OPTIONS rtsp://h/a RTSP/1.0\r\nCSeq: 1\r\n\r\n',
    );
    assert.throws(() => formatRequest('OPTIONS', 'rtsp://h/a', { Session: 'x\r\nEvil: 1' }), /line break/);
  });
});
