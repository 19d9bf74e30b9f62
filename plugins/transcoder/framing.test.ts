/**
 * The pipe framings and clocks on their own: pages and ADTS frames parsed whatever the chunking of the
 * pipe, packets spanning pages, a corrupted page refused, and the input clock filling only real gaps.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aac } from '../../lib/codecs/index.js';
import { AdtsReader, AdtsWriter } from '../../lib/codecs/adts.js';
import { InputClock, OutputClock } from './clocks.js';
import { crc32Ogg as oggCrc } from '../../lib/codecs/crc32.js';
import { OGG_CONTINUED, OggPacketReader, OggPageWriter } from './ogg.js';

const bytes = (length: number, seed: number): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

/** Feeds `stream` in pieces of `size` bytes and collects what comes out. */
function chunked<T>(stream: Uint8Array, size: number, push: (chunk: Uint8Array) => T[]): T[] {
  const out: T[] = [];
  for (let offset = 0; offset < stream.length; offset += size)
    out.push(...push(stream.subarray(offset, offset + size)));
  return out;
}

describe('Ogg framing', () => {
  test('CRC is the Ogg one (check value of "123456789")', () => {
    assert.equal(oggCrc(Buffer.from('123456789')), 0x89a1897f);
  });

  test('packets of 0, 254, 255, 510 and 4000 bytes round-trip in any chunking', () => {
    const packets = [0, 254, 255, 510, 4000].map((length, i) => bytes(length, i));
    const writer = new OggPageWriter(7);
    const stream = Buffer.concat(packets.map((packet, i) => writer.page(packet, i * 960)));
    for (const size of [1, 7, 100, stream.length]) {
      const reader = new OggPacketReader();
      assert.deepEqual(
        chunked(stream, size, (chunk) => reader.push(chunk)),
        packets,
        `chunks of ${size}`,
      );
      assert.equal(reader.pendingBytes, 0);
    }
  });

  test('a packet continued on the next page is joined', () => {
    const packet = bytes(600, 3);
    const writer = new OggPageWriter(1);
    // 510 bytes are laced 255, 255, 0; without the final 0 the packet stays open at the page's end.
    const whole = Buffer.from(writer.page(packet.subarray(0, 510), 0));
    const open = Buffer.concat([whole.subarray(0, 29), whole.subarray(30)]);
    open[26] = 2;
    open.writeUInt32LE(0, 22);
    open.writeUInt32LE(oggCrc(open), 22);
    const rest = Buffer.from(writer.page(packet.subarray(510), 960, OGG_CONTINUED));
    assert.deepEqual(new OggPacketReader().push(Buffer.concat([open, rest])), [packet]);
  });

  test('a corrupted page is refused', () => {
    const page = Buffer.from(new OggPageWriter(1).page(bytes(100, 1), 0));
    page[60]! ^= 0xff;
    assert.throws(() => new OggPacketReader().push(page), /CRC mismatch/);
    assert.throws(
      () => new OggPacketReader().push(Buffer.from('not an ogg page at all, really')),
      /lost page sync/,
    );
  });
});

describe('ADTS framing', () => {
  const config = aac.buildAudioSpecificConfig(44100, 2);

  test('frames round-trip in any chunking', () => {
    const frames = [10, 300, 1500].map((length, i) => bytes(length, i));
    const writer = new AdtsWriter(config);
    const stream = Buffer.concat(frames.map((frame) => writer.frame(frame)));
    for (const size of [1, 9, stream.length]) {
      const reader = new AdtsReader(config);
      assert.deepEqual(
        chunked(stream, size, (chunk) => reader.push(chunk)),
        frames,
      );
      assert.equal(reader.pendingBytes, 0);
    }
  });

  test('a frame in another format than the announced one is refused', () => {
    const mono = new AdtsWriter(aac.buildAudioSpecificConfig(44100, 1)).frame(bytes(50, 1));
    assert.throws(() => new AdtsReader(config).push(mono), /expected/);
  });
});

describe('clocks', () => {
  test('input clock: jitter and a lost packet are not filled; they add up until a frame is missing', () => {
    const clock = new InputClock(48000, 48000);
    const feed = (pts: number): number => {
      const missing = clock.missingBefore(pts, 960);
      clock.advance(missing + 960);
      return missing;
    };
    assert.equal(feed(1000), 0);
    assert.equal(feed(1000 + 960 + 3), 0, 'jitter');
    assert.equal(feed(1000 + 2 * 960 - 2), 0, 'jitter back');
    assert.equal(feed(1000 + 4 * 960), 960, 'one 20 ms packet lost');
    assert.equal(feed(1000 + 4 * 960 + 48000), 48000 - 960, 'DTX: a second without packets');
    assert.equal(feed(0), 0, 'a jump back restarts the clock');
    assert.equal(feed(960), 0);
  });

  test('input clock in another timescale than the codec rate (Opus timestamps in ms)', () => {
    const clock = new InputClock(1000, 48000);
    assert.equal(clock.missingBefore(500, 960), 0);
    clock.advance(960);
    assert.equal(clock.missingBefore(540, 960), 960, '20 ms missing = 960 samples at 48 kHz');
  });

  test('output clock: continuous from the start, shifted where asked', () => {
    const clock = new OutputClock(5000);
    clock.shiftAt(2048, 44100);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => clock.stamp(1024)),
      [5000, 6024, 5000 + 2048 + 44100, 5000 + 3072 + 44100],
    );
  });
});
