/**
 * Vorbis on its own: the Xiph-laced config round-trips, the headers made ahead (vorbis-headers.ts) are
 * the ones libvorbis writes for any audio with the same settings, and the sample count of every packet
 * of a real libvorbis stream (long and short blocks) is the one ffprobe reports.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { ffmpeg, FFPROBE } from '../../test/helpers/media-tools.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { OggPacketReader } from './ogg.js';
import { testSettings, transcoderFfmpeg } from '../../test/helpers/transcoder/tone-audio.js';
import { headersOf, vorbisConfig, vorbisEncoderArgs } from './vorbis-headers.js';
import {
  modeBlockFlags,
  parseIdentification,
  VorbisPacketClock,
  xiphLace,
  xiphUnlace,
  type VorbisHeaders,
} from './vorbis.js';

const run = promisify(execFile);
const tmp = new TempDir('spool-vorbis-');
after(() => tmp.cleanup());

const header = (type: number, length: number): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => (i === 0 ? type : i < 7 ? 'vorbis'.charCodeAt(i - 1) : i & 0xff));

/** 2 s of clicks over a tone: transients make libvorbis switch between long and short blocks. */
const CLICKY_TONE = "aevalsrc='sin(2*PI*440*t)/8+if(lt(mod(t,0.25),0.002),0.7,0)':s=44100";

/** A file libvorbis encoded from `source` with the transcoder's settings, as Ogg packets. */
async function encodeOgg(ffmpegPath: string, source: string, name: string): Promise<Uint8Array[]> {
  const path = join(tmp.path, `${name}.ogg`);
  await run(ffmpegPath, [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', source, '-t', '2'],
    ...vorbisEncoderArgs(testSettings(ffmpegPath)),
    path,
  ]);
  const { stdout } = await ffmpeg(['-v', 'error', '-i', path, '-c', 'copy', '-f', 'ogg', '-']);
  return new OggPacketReader().push(stdout);
}

describe('Vorbis', () => {
  test('the three headers round-trip through Xiph lacing, lengths of 255 and more included', () => {
    for (const commentBytes of [7, 254, 255, 256, 510, 4000]) {
      const headers: VorbisHeaders = {
        identification: header(1, 30),
        comment: header(3, commentBytes),
        setup: header(5, 3000),
      };
      const config = xiphLace(headers);
      assert.deepEqual(xiphUnlace(config), headers, `comment of ${commentBytes} bytes`);
    }
    assert.throws(() => xiphUnlace(Uint8Array.of(2, 30, 7, 1, 2, 3)), /run past the end/);
    assert.throws(() => xiphUnlace(Uint8Array.of(1, 30)), /not three Xiph-laced packets/);
  });

  test('the headers made ahead are those libvorbis writes for any audio with the same settings', async (t) => {
    const ffmpegPath = transcoderFfmpeg(t);
    if (ffmpegPath === undefined) return;
    const announced = xiphUnlace(await vorbisConfig(testSettings(ffmpegPath)));
    const identification = parseIdentification(announced.identification);
    assert.deepEqual(identification, { channels: 2, sampleRate: 44100, blockSizes: [256, 2048] });
    assert.deepEqual(modeBlockFlags(announced.setup), [0, 1], 'libvorbis: a short and a long mode');
    const written = headersOf(await encodeOgg(ffmpegPath, CLICKY_TONE, 'headers'));
    assert.ok(Buffer.from(written.identification).equals(announced.identification), 'identification');
    assert.ok(Buffer.from(written.setup).equals(announced.setup), 'setup');
    const mono = xiphUnlace(await vorbisConfig(testSettings(ffmpegPath, { channels: 1, sampleRate: 48000 })));
    assert.equal(parseIdentification(mono.identification).channels, 1);
    assert.equal(parseIdentification(mono.identification).sampleRate, 48000);
  });

  test('each packet decodes to the samples ffmpeg decodes from it, across long and short blocks', async (t) => {
    const ffmpegPath = transcoderFfmpeg(t);
    if (ffmpegPath === undefined) return;
    const packets = await encodeOgg(ffmpegPath, CLICKY_TONE, 'timing');
    const clock = new VorbisPacketClock(headersOf(packets));
    const ours = packets.slice(3).map((packet) => clock.next(packet));
    const probe = async (entries: string): Promise<number[][]> => {
      const { stdout } = await run(FFPROBE, [
        ...['-v', 'error', '-select_streams', 'a', '-show_entries', entries, '-of', 'csv=p=0'],
        join(tmp.path, 'timing.ogg'),
      ]);
      // A trailing comma and an empty line follow an entry with side data.
      return stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) =>
          line
            .split(',')
            .filter((field) => field !== '')
            .map(Number),
        );
    };
    const [firstPacket] = await probe('packet=pts,duration');
    assert.deepEqual(
      firstPacket,
      [-ours[0]!.leadIn, ours[0]!.leadIn],
      'ffmpeg stamps the first packet there',
    );
    assert.equal(ours[0]!.samples, 0, 'the first packet decodes to nothing');
    // The decoder gives one frame per packet after the first; the last is cut to the stream's end.
    const decoded = (await probe('frame=nb_samples')).map(([samples]) => samples);
    assert.equal(decoded.length, ours.length - 1, 'decoded frames');
    assert.deepEqual(
      ours.slice(1, -1).map((timing) => timing.samples),
      decoded.slice(0, -1),
    );
    const sizes = new Set(ours.slice(1).map((timing) => timing.samples));
    assert.ok(sizes.has(1024) && sizes.has(128) && sizes.has(576), `block mix: ${[...sizes].join(', ')}`);
  });
});
