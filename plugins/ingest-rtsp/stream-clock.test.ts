import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { receiverReport, senderReports, TimestampUnwrapper } from '../../lib/rtp/rtp.js';
import { senderReport } from '../../test/helpers/ingest-rtsp/fake-camera.js';
import { StreamClock } from './stream-clock.js';

const NTP_EPOCH = 2208988800;

describe('StreamClock: A/V sync', () => {
  test('sender reports put both tracks on one timeline; 0 is the earliest first frame', () => {
    // Video RTP 1000 and audio RTP 70000 were sampled at the same instant T; audio's first frame is 20 ms later.
    const clock = new StreamClock([90000, 48000]);
    const T = 3_900_000_000.25;
    clock.unwrap(0, 1000, 0);
    clock.unwrap(1, 70000 + 960, 0);
    assert.equal(clock.onSenderReport(0, T + 1, 1000 + 90000), undefined);
    assert.equal(clock.reportsComplete, false);
    clock.onSenderReport(1, T + 2, 70000 + 96000);
    assert.equal(clock.reportsComplete, true);
    assert.equal(clock.lock(), 'rtcp');
    assert.equal(clock.streamTime(0, 1000), 0);
    assert.equal(clock.streamTime(1, 70000 + 960), 960, 'audio starts 20 ms after video');
    assert.equal(clock.streamTime(1, 70000 + 960 + 1024), 960 + 1024, 'integer steps stay exact');
    assert.equal(clock.streamTime(0, 1000 + 3000), 3000);
  });

  test('without reports: RTP-Info, else arrival times; reports arriving later realign audio once', () => {
    const clock = new StreamClock([90000, 44100]);
    clock.setRtpInfo([1000, 500]);
    clock.unwrap(0, 1000, 10_000);
    clock.unwrap(1, 500, 10_000);
    assert.equal(clock.lock(), 'rtp-info');
    assert.equal(clock.streamTime(1, 500 + 1024), 1024);
    assert.equal(clock.onSenderReport(0, NTP_EPOCH + 100, 1000), undefined);
    // The camera says audio RTP 500 was sampled 50 ms after video RTP 1000, not at the same time.
    const corrections = clock.onSenderReport(1, NTP_EPOCH + 100.05, 500);
    assert.deepEqual(
      corrections?.map((ms) => Math.round(ms)),
      [0, 50],
    );
    assert.equal(clock.source, 'rtcp');
    assert.equal(clock.streamTime(0, 1000), 0, 'video did not move');
    assert.equal(clock.streamTime(1, 500), Math.round(0.05 * 44100));
    assert.equal(clock.onSenderReport(1, NTP_EPOCH + 200, 500), undefined, 'realigned only once');

    const arrival = new StreamClock([90000, 8000]);
    arrival.unwrap(0, 5, 1000);
    assert.equal(arrival.lock(), 'arrival');
    assert.equal(arrival.streamTime(1, 0), undefined, 'audio not seen yet');
    arrival.unwrap(1, 777, 1250);
    assert.equal(arrival.streamTime(1, 777), 2000, 'first audio frame 250 ms after the first video frame');
  });

  test('timestamps keep counting across the 32-bit wrap, sender reports included', () => {
    const unwrapper = new TimestampUnwrapper();
    assert.deepEqual(
      [4294967000, 4294967295, 100, 50, 3000].map((t) => unwrapper.unwrap(t)),
      [4294967000, 4294967295, 4294967396, 4294967346, 4294970296],
    );
    assert.equal(unwrapper.extend(4294960000), 4294960000);
    const clock = new StreamClock([90000]);
    clock.unwrap(0, 4294967000, 0);
    clock.onSenderReport(0, NTP_EPOCH, 200);
    clock.lock();
    assert.equal(clock.streamTime(0, clock.unwrap(0, 296, 0)), 592);
  });

  test('sender reports are read from compound RTCP; receiver reports are well-formed', () => {
    const rr = receiverReport(0xabcdef01, 'spool');
    const compound = Buffer.concat([rr, senderReport(0x1111, 1_700_000_000_500, 123456)]);
    const [report] = senderReports(compound);
    assert.equal(report!.ssrc, 0x1111);
    assert.equal(report!.rtpTimestamp, 123456);
    assert.ok(Math.abs(report!.ntpSeconds - (1_700_000_000.5 + NTP_EPOCH)) < 1e-6);
    assert.equal(rr.length % 4, 0);
    assert.equal(senderReports(rr).length, 0);
    assert.deepEqual(senderReports(Buffer.of(0x80, 200, 0, 50, 1, 2)), [], 'length overruns the packet');
  });
});
