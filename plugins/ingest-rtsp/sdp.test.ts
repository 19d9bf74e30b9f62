import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSdp, resolveControl } from './sdp.js';
import { parseRtpInfo, parseTransport, requestTransport } from './transport-header.js';
import { planTracks } from './track-plan.js';

/** What GStreamer's RTSP server (1.22) answers DESCRIBE with for H.264 + AAC. */
const GSTREAMER_SDP = `v=0
o=- 3985447926772354998 1 IN IP4 127.0.0.1
s=Session streamed with GStreamer
t=0 0
a=control:*
a=range:npt=now-
m=video 0 RTP/AVP 96
c=IN IP4 0.0.0.0
a=rtpmap:96 H264/90000
a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LAHtoCgL/lwFqDAwNSgAAAAwCAAAAeR4sXUA==,aM48gA==;profile-level-id=42c01e
a=control:stream=0
m=audio 0 RTP/AVP 97
a=rtpmap:97 MPEG4-GENERIC/44100/2
a=fmtp:97 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=121056e500;sizelength=13;indexlength=3;indexdeltalength=3
a=control:stream=1
`.replace(/\n/g, '\r\n');

describe('SDP and transport headers', () => {
  test("reads GStreamer's SDP: formats, fmtp and control URLs against Content-Base", () => {
    const { controlUrl, media } = parseSdp(GSTREAMER_SDP, 'rtsp://127.0.0.1:8554/cam/');
    assert.equal(controlUrl, 'rtsp://127.0.0.1:8554/cam/', 'a=control:* is the base');
    assert.deepEqual(
      media.map((m) => [
        m.type,
        m.controlUrl,
        m.formats[0]!.encoding,
        m.formats[0]!.clockRate,
        m.formats[0]!.channels,
      ]),
      [
        ['video', 'rtsp://127.0.0.1:8554/cam/stream=0', 'H264', 90000, 1],
        ['audio', 'rtsp://127.0.0.1:8554/cam/stream=1', 'MPEG4-GENERIC', 44100, 2],
      ],
    );
    assert.equal(media[1]!.formats[0]!.parameters.get('sizelength'), '13');
    const plan = planTracks(media, { maxFrameBytes: 1 << 20, drop: () => {} });
    const [video, audio] = plan.readers.map((r) => r.track);
    assert.deepEqual(
      [video?.codec, video?.kind === 'video' && `${video.width}x${video.height}`],
      ['h264', '640x360'],
    );
    assert.deepEqual(
      audio?.kind === 'audio' && [audio.codec, audio.sampleRate, audio.channels, audio.timescale],
      ['aac', 44100, 2, 44100],
    );
    assert.deepEqual(plan.payloadTypes, [96, 97]);
  });

  test('static payload types without rtpmap (G.711), unsupported codecs skipped with a reason', () => {
    const sdp = [
      'v=0',
      'm=video 0 RTP/AVP 98',
      'a=rtpmap:98 H265/90000',
      'a=control:rtsp://cam/track1',
      'm=audio 0 RTP/AVP 8',
      'a=control:track2',
      '',
    ].join('\n');
    const description = parseSdp(sdp, 'rtsp://cam/live');
    const media = description.media;
    assert.equal(description.controlUrl, 'rtsp://cam/live', 'no session-level a=control: the base');
    assert.deepEqual(media[1]!.formats[0], {
      payloadType: 8,
      encoding: 'PCMA',
      clockRate: 8000,
      channels: 1,
      parameters: new Map(),
    });
    assert.equal(media[0]!.controlUrl, 'rtsp://cam/track1', 'absolute control kept');
    assert.equal(media[1]!.controlUrl, 'rtsp://cam/live/track2', 'relative control joined with a slash');
    const plan = planTracks(media, { maxFrameBytes: 1 << 20, drop: () => {} });
    assert.deepEqual(
      plan.readers.map((r) => r.track?.codec),
      ['pcma'],
    );
    assert.deepEqual(plan.skipped, ['video H265/90000']);
    assert.throws(
      () => planTracks(media.slice(0, 1), { maxFrameBytes: 1, drop: () => {} }),
      /offers nothing Spool records \(H.264, AAC, G.711\): video H265\/90000/,
    );
    assert.throws(() => parseSdp('v=0\r\n', 'rtsp://h/'), /no SDP media section/);
    assert.equal(resolveControl('*', 'rtsp://h/a/'), 'rtsp://h/a/');
    const hikvision = parseSdp(
      'v=0\na=control:rtsp://10.0.0.2/Streaming/Channels/101/?transportmode=unicast\nm=video 0 RTP/AVP 96\na=control:trackID=1\n',
      'rtsp://10.0.0.2/Streaming/Channels/101/',
    );
    assert.equal(hikvision.controlUrl, 'rtsp://10.0.0.2/Streaming/Channels/101/?transportmode=unicast');
    assert.equal(hikvision.media[0]!.controlUrl, 'rtsp://10.0.0.2/Streaming/Channels/101/trackID=1');
  });

  test('Transport: interleaved channels, UDP server ports, and refusals', () => {
    assert.equal(requestTransport('tcp', 1), 'RTP/AVP/TCP;unicast;interleaved=2-3');
    assert.equal(requestTransport('udp', 0, [5000, 5001]), 'RTP/AVP;unicast;client_port=5000-5001');
    assert.deepEqual(parseTransport('RTP/AVP/TCP;unicast;interleaved=4-5;ssrc=FF2BE185', 'tcp', 0), {
      channels: [4, 5],
    });
    assert.deepEqual(parseTransport(undefined, 'tcp', 1), { channels: [2, 3] }, 'none given: ours');
    assert.throws(() => parseTransport('RTP/AVP;unicast;client_port=1-2', 'tcp', 0), /try transport udp/);
    assert.deepEqual(
      parseTransport('RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971', 'udp', 0),
      {
        serverPorts: [6970, 6971],
      },
    );
    assert.throws(() => parseTransport('RTP/AVP;unicast', 'udp', 0), /no server_port/);
  });

  test('RTP-Info rtptime per control URL, matched however the camera writes the URL', () => {
    const value =
      'url=rtsp://127.0.0.1:8554/cam/stream=0;seq=31804;rtptime=1876504364, url=stream=1;seq=11786;rtptime=336536069';
    assert.deepEqual(
      parseRtpInfo(value, ['rtsp://127.0.0.1:8554/cam/stream=0', 'rtsp://127.0.0.1:8554/cam/stream=1']),
      [1876504364, 336536069],
    );
    assert.deepEqual(parseRtpInfo(undefined, ['rtsp://h/a']), [undefined]);
  });
});
