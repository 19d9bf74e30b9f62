import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Track } from '../../core/index.js';
import { chromiumOffer } from '../../test/helpers/ingest-webrtc/chromium-offers.js';
import { FFMPEG_AVCC } from '../../test/helpers/rtmp-ingest.js';
import { NoCommonCodecError, chooseCodecs } from './codec-choice.js';
import { OfferError, answerableOffer, readWhepOffer } from './offer.js';

const H264_HIGH: Track = { id: 1, kind: 'video', codec: 'h264', timescale: 90000, config: FFMPEG_AVCC };
const VP8: Track = { id: 1, kind: 'video', codec: 'vp8', timescale: 90000 };
const AAC: Track = { id: 2, kind: 'audio', codec: 'aac', timescale: 44100, sampleRate: 44100, channels: 2 };
const OPUS: Track = { id: 2, kind: 'audio', codec: 'opus', timescale: 48000, sampleRate: 48000, channels: 2 };
const PCMA: Track = { id: 2, kind: 'audio', codec: 'pcma', timescale: 8000, sampleRate: 8000, channels: 1 };

const VIDEO = [
  '102 H264/90000 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  '104 H264/90000 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
  '106 H264/90000 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  '112 H264/90000 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f',
  '96 VP8/90000',
  '97 rtx/90000 apt=96',
];
const AUDIO = ['111 opus/48000/2 minptime=10;useinbandfec=1', '0 PCMU/8000', '8 PCMA/8000'];
const offer = (video = VIDEO, audio = AUDIO) =>
  readWhepOffer(chromiumOffer({ direction: 'recvonly', video, audio }));

describe('WHEP codec choice', () => {
  test("H.264: mode 1 only, the stream's profile first (High from its avcC), else a baseline one", () => {
    assert.equal(chooseCodecs('s', [H264_HIGH], offer()).video?.codec.payloadType, 112);
    const noHigh = VIDEO.filter((v) => !v.startsWith('112'));
    assert.equal(chooseCodecs('s', [H264_HIGH], offer(noHigh)).video?.codec.payloadType, 102);
    const noConfig: Track = { id: 1, kind: 'video', codec: 'h264', timescale: 90000 };
    assert.equal(chooseCodecs('s', [noConfig], offer()).video?.codec.payloadType, 102);
  });

  test('audio: Opus and G.711 passed through when offered; AAC (and G.711 without PCMx) converted to Opus', () => {
    assert.deepEqual(pick(chooseCodecs('s', [VP8, OPUS], offer()).audio), ['opus', 111, false]);
    assert.deepEqual(pick(chooseCodecs('s', [VP8, PCMA], offer()).audio), ['pcma', 8, false]);
    assert.deepEqual(pick(chooseCodecs('s', [VP8, PCMA], offer(VIDEO, [AUDIO[0]!])).audio), [
      'opus',
      111,
      true,
    ]);
    assert.deepEqual(pick(chooseCodecs('s', [H264_HIGH, AAC], offer()).audio), ['opus', 111, true]);
    const noOpus = chooseCodecs('s', [H264_HIGH, AAC], offer(VIDEO, ['0 PCMU/8000']));
    assert.equal(noOpus.audio, undefined);
    assert.match(noOpus.notes.join(), /aac cannot be sent as PCMU/);
  });

  test('no common video codec is refused, naming what the stream has and what was offered', () => {
    const vp8Only = offer(['96 VP8/90000', '98 VP9/90000 profile-id=0']);
    assert.throws(
      () => chooseCodecs('cam', [H264_HIGH, AAC], vp8Only),
      (error: unknown) =>
        error instanceof NoCommonCodecError &&
        /stream "cam" has H\.264 video and AAC audio; the offer has audio: Opus, PCMU, PCMA; video: VP8, VP9/.test(
          error.message,
        ),
    );
    assert.throws(
      () => chooseCodecs('cam', [VP8], offer([], AUDIO)),
      NoCommonCodecError,
      'video-only stream, audio-only viewer',
    );
  });

  test('the offer werift answers keeps the chosen payload type per section and rejects the others', () => {
    const whep = offer();
    const sdp = answerableOffer(whep, new Map([[1, 112]]));
    assert.match(sdp, /m=audio 0 /);
    assert.match(sdp, /m=video 9 UDP\/TLS\/RTP\/SAVPF 112\r\n/);
    const video = sdp.slice(sdp.indexOf('m=video'));
    assert.doesNotMatch(video, /transport-cc|a=rtpmap:96|ssrc-group/);
  });

  test('what is not a WebRTC viewer offer is a 400 with the reason', () => {
    assert.throws(() => readWhepOffer('hello'), OfferError);
    assert.throws(() => readWhepOffer(chromiumOffer({ direction: 'recvonly', proto: 'RTP/AVP' })), /SAVPF/);
    assert.throws(
      () => readWhepOffer(chromiumOffer({ direction: 'recvonly', withIce: false })),
      /a=ice-ufrag/,
    );
    assert.deepEqual(
      readWhepOffer(chromiumOffer({ direction: 'sendonly' })).sections,
      [],
      'sendonly sections receive nothing',
    );
  });
});

function pick(audio: ReturnType<typeof chooseCodecs>['audio']) {
  return audio && [audio.kind, audio.codec.payloadType, audio.convert];
}
