import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OfferError, prepareOffer } from './offer.js';
import { CHROMIUM_AUDIO, CHROMIUM_VIDEO, chromiumOffer } from '../../lib/webrtc/test-offers.js';

function refusedWith(status: number, pattern: RegExp) {
  return (error: unknown) =>
    error instanceof OfferError && error.status === status && pattern.test(error.message);
}

const mediaLine = (sdp: string, kind: string) => sdp.split('\r\n').find((l) => l.startsWith(`m=${kind}`));

describe('prepareOffer', () => {
  test("Chromium's offer: its first H.264 with packetization-mode=1, Opus; nothing else stays", () => {
    const offer = prepareOffer(chromiumOffer());
    assert.equal(offer.video?.codec, 'h264');
    assert.equal(offer.video?.payloadType, 102);
    assert.equal(offer.audio?.codec, 'opus');
    assert.equal(offer.audio?.parameters.useinbandfec, '1');
    assert.equal(mediaLine(offer.sdp, 'video'), 'm=video 9 UDP/TLS/RTP/SAVPF 102');
    assert.equal(mediaLine(offer.sdp, 'audio'), 'm=audio 9 UDP/TLS/RTP/SAVPF 111');
    assert.doesNotMatch(offer.sdp, /a=rtpmap:(103|104|96|97|98|0) /);
    assert.doesNotMatch(offer.sdp, /transport-cc|transport-wide-cc|ssrc-group/);
    assert.match(offer.sdp, /a=rtcp-fb:102 goog-remb\r\na=rtcp-fb:102 ccm fir\r\na=rtcp-fb:102 nack\r\n/);
    assert.match(offer.sdp, /a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid/);
    assert.deepEqual(offer.refused, []);
  });

  test("the publisher's order decides: VP8 first → VP8; H.264 in mode 0 only is not taken", () => {
    assert.equal(
      prepareOffer(chromiumOffer({ video: ['96 VP8/90000', ...CHROMIUM_VIDEO] })).video?.codec,
      'vp8',
    );
    const mode0 = ['104 H264/90000 packetization-mode=0;profile-level-id=42001f', '96 VP8/90000'];
    assert.equal(prepareOffer(chromiumOffer({ video: mode0 })).video?.codec, 'vp8');
  });

  test('a section without a usable codec is refused (port 0); the publish goes on without it', () => {
    const offer = prepareOffer(chromiumOffer({ video: ['98 VP9/90000 profile-id=0'] }));
    assert.equal(offer.video, undefined);
    assert.equal(offer.audio?.codec, 'opus');
    assert.equal(mediaLine(offer.sdp, 'video'), 'm=video 0 UDP/TLS/RTP/SAVPF 98');
    assert.match(offer.refused.join(), /video section 1: no H\.264 \(packetization-mode=1\) or VP8 offered/);
  });

  test('422 when no section has a usable codec', () => {
    const offer = chromiumOffer({ video: ['98 VP9/90000'], audio: ['0 PCMU/8000', '9 G722/8000'] });
    assert.throws(() => prepareOffer(offer), refusedWith(422, /no usable codec.*Opus/));
  });

  test('400 for what is not a WebRTC publish offer', () => {
    assert.throws(() => prepareOffer('hello'), refusedWith(400, /must start with v=0/));
    assert.throws(
      () => prepareOffer('v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n'),
      refusedWith(400, /no media section/),
    );
    assert.throws(() => prepareOffer('v=0\r\n<html>\r\n'), refusedWith(400, /malformed SDP line/));
    assert.throws(() => prepareOffer(chromiumOffer({ proto: 'RTP/AVP' })), refusedWith(400, /DTLS-SRTP/));
    assert.throws(() => prepareOffer(chromiumOffer({ withIce: false })), refusedWith(400, /a=ice-ufrag/));
  });

  test('a publisher must send: recvonly or inactive sections carry nothing to record', () => {
    assert.throws(() => prepareOffer(chromiumOffer({ direction: 'recvonly' })), refusedWith(422, /recvonly/));
    const sendrecv = prepareOffer(chromiumOffer({ direction: 'sendrecv' }));
    assert.equal(sendrecv.video?.codec, 'h264');
  });

  test('a second section of a kind is refused: one video and one audio track per publish', () => {
    const twoVideos = chromiumOffer().replace(
      /(m=video[\s\S]*)$/,
      (video) => video + video.replace('a=mid:1', 'a=mid:2'),
    );
    const offer = prepareOffer(twoVideos);
    assert.deepEqual(
      offer.sdp.split('\r\n').filter((l) => l.startsWith('m=video')),
      ['m=video 9 UDP/TLS/RTP/SAVPF 102', 'm=video 0 UDP/TLS/RTP/SAVPF 102 103 104 96 97 98'],
    );
    assert.match(offer.refused.join(), /one video track per publish/);
    assert.equal(prepareOffer(chromiumOffer({ audio: CHROMIUM_AUDIO, video: [] })).video, undefined);
  });
});
