/**
 * Real conversions through the npm ffmpeg, checked the way a player would see the result: the converted
 * frames, written as a file, decode with no message from `ffmpeg -v error`, at the configured rate and
 * channels, for as long as the input lasted; timestamps are continuous from the first input pts; and
 * the 1 kHz tone that starts 1 s into the input, pauses at 2 s and resumes at 3 s does so at the same
 * times in the output (A/V sync), at 1 kHz.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { AudioCodec, Frame } from '../../core/index.js';
import { TempDir } from '../../test/helpers/tmp.js';
import {
  TONE_HZ,
  TONE_ONSET_S,
  TONE_RMS,
  aacSource,
  decode,
  frameSpans,
  g711Source,
  measure,
  onsetS,
  opusSource,
  PAUSE_S,
  shifted,
  testSettings,
  transcodeAll,
  transcoderFfmpeg,
  writeOutput,
  type Decoded,
  type RunResult,
  type Source,
} from '../../test/helpers/transcoder/tone-audio.js';
import { LIBOPUS_PRE_SKIP } from './output-format.js';

const SECONDS = 5;
/** The stream had been running this long when the audio track starts (first pts is not 0). */
const STREAM_OFFSET_S = 7;
const DURATION_TOLERANCE_S = 0.1;
/** Tone onsets on decoded audio (measured: within 0.1 ms; a priming frame too many or too few is 20 ms). */
const ONSET_TOLERANCE_S = 0.001;

const tmp = new TempDir('spool-transcode-');
after(() => tmp.cleanup());

interface Case {
  name: string;
  source: () => Promise<Source>;
  to: AudioCodec & ('aac' | 'opus' | 'vorbis');
  sampleRate?: number;
  channels?: number;
}

const sources = new Map<string, Promise<Source>>();
function cached(key: string, make: () => Promise<Source>): () => Promise<Source> {
  return () => {
    if (!sources.has(key)) sources.set(key, make());
    return sources.get(key)!;
  };
}
const opus = cached('opus', () => opusSource(tmp.path, SECONDS));
const aac = cached('aac', () => aacSource(tmp.path, SECONDS));
const cases: Case[] = [
  { name: 'Opus → AAC 44100 Hz stereo', source: opus, to: 'aac', sampleRate: 44100, channels: 2 },
  { name: 'Opus → AAC 48000 Hz mono', source: opus, to: 'aac', sampleRate: 48000, channels: 1 },
  { name: 'G.711 A-law → AAC', source: cached('pcma', () => g711Source('pcma', SECONDS)), to: 'aac' },
  { name: 'G.711 µ-law → AAC', source: cached('pcmu', () => g711Source('pcmu', SECONDS)), to: 'aac' },
  { name: 'AAC → Opus stereo', source: aac, to: 'opus' },
  { name: 'Opus → Vorbis 44100 Hz stereo', source: opus, to: 'vorbis', sampleRate: 44100, channels: 2 },
  { name: 'AAC → Vorbis 48000 Hz mono', source: aac, to: 'vorbis', sampleRate: 48000, channels: 1 },
];

let ffmpegPath: string | undefined;

describe('transcoder conversions with ffmpeg', () => {
  for (const c of cases) {
    test(c.name, async (t) => {
      ffmpegPath ??= transcoderFfmpeg(t);
      if (ffmpegPath === undefined) return;
      const { track, frames } = await c.source();
      const input = shifted(frames, STREAM_OFFSET_S * track.timescale);
      const channels = c.channels ?? 2;
      const settings = testSettings(ffmpegPath, { sampleRate: c.sampleRate ?? 44100, channels });
      const result = await transcodeAll(track, input, c.to, settings);
      assert.deepEqual(result.errors, []);

      const rate = c.to === 'opus' ? 48000 : (c.sampleRate ?? 44100);
      assert.equal(result.output.timescale, rate);
      assert.equal(result.output.channels, channels);
      const leadIn = frameSpans(result.output, result.frames)[0]!.leadIn;
      const firstPts = Math.round((input[0]!.pts * rate) / track.timescale);
      assert.equal(result.frames[0]!.pts + leadIn, firstPts, 'first pts (+ a Vorbis lead-in)');
      assertTimestamps(result, input, track.timescale);

      const decoded = await decode(writeOutput(tmp.path, slug(c.name), result.output, result.frames));
      assert.equal(decoded.errors, '', 'ffmpeg -v error prints nothing');
      assert.equal(decoded.sampleRate, rate);
      assert.equal(decoded.channels, channels);
      const durationS = decoded.samples.length / decoded.sampleRate;
      assert.ok(Math.abs(durationS - SECONDS) <= DURATION_TOLERANCE_S, `duration ${durationS} s`);
      t.diagnostic(assertTone(decoded));
    });
  }

  for (const c of [cases[0]!, cases[2]!, cases[4]!, cases[5]!]) {
    test(`${c.name}: no input during the pause (DTX) → silence filled in, the tone resumes in sync`, async (t) => {
      ffmpegPath ??= transcoderFfmpeg(t);
      if (ffmpegPath === undefined) return;
      const source = await c.source();
      const { track, frames } = source;
      const input = withoutPause(source);
      assert.ok(input.length < frames.length - 30, 'frames were left out');
      const result = await transcodeAll(track, input, c.to, testSettings(ffmpegPath));
      assert.deepEqual(result.errors, []);
      assertTimestamps(result, input, track.timescale);
      const decoded = await decode(
        writeOutput(tmp.path, `dtx-${slug(c.name)}`, result.output, result.frames),
      );
      assert.equal(decoded.errors, '');
      t.diagnostic(assertTone(decoded));
    });
  }

  test('a gap longer than maxSilenceFillMs is skipped: the output timestamps jump with the input', async (t) => {
    ffmpegPath ??= transcoderFfmpeg(t);
    if (ffmpegPath === undefined) return;
    const source = await opus();
    const input = withoutPause(source);
    const result = await transcodeAll(
      source.track,
      input,
      'aac',
      testSettings(ffmpegPath, { maxSilenceFillMs: 500 }),
    );
    assert.deepEqual(result.errors, []);
    const jumps = result.frames.slice(1).filter((frame, i) => frame.pts - result.frames[i]!.pts !== 1024);
    assert.equal(jumps.length, 1, 'one jump');
    const resumedS = jumps[0]!.pts / 44100;
    assert.ok(Math.abs(resumedS - PAUSE_S[1]) <= 0.03, `resumes at ${resumedS} s`);
    const lastIn = (input.at(-1)!.pts * 44100) / 48000;
    assert.ok(Math.abs(result.frames.at(-1)!.pts - lastIn) <= 1024);
  });
});

const slug = (name: string): string => name.replace(/\W+/g, '-');

/**
 * The input without the frames whose audio lies wholly inside the pause, as a DTX sender leaves them out.
 * An AAC frame's transform window also covers the frame after it, so the last AAC frame of the pause
 * carries the start of the tone and stays.
 */
function withoutPause(source: Source): Frame[] {
  const { frames, track } = source;
  const [from, to] = PAUSE_S.map((s) => s * track.timescale) as [number, number];
  const overlap = track.codec === 'aac' ? 1 : 0;
  return frames.filter((frame, i) => {
    const end = frames[i + 1 + overlap]?.pts ?? Infinity;
    return frame.pts < from || end > to;
  });
}

/**
 * Each pts = previous + the samples the previous frame decodes to (+ its lead-in: the first Vorbis packet
 * decodes to none and lies before the start), and the output ends where the input ended (within a frame;
 * an Opus output runs on by its pre-skip, which the decoder drops).
 */
function assertTimestamps(result: RunResult, input: readonly Frame[], inputTimescale: number): void {
  const { frames, output } = result;
  const spans = frameSpans(output, frames).map((span) => span.samples + span.leadIn);
  const breaks = frames.slice(1).filter((frame, i) => frame.pts !== frames[i]!.pts + spans[i]!);
  assert.deepEqual(
    breaks.map((frame) => frame.pts),
    [],
    'each pts = previous + its samples',
  );
  if (output.codec === 'vorbis') {
    assert.ok(
      spans.slice(1).every((samples) => samples > 0),
      'every Vorbis packet but the first has audio',
    );
  }
  assert.ok(frames.every((frame) => frame.dts === frame.pts && frame.keyframe));
  const [beforeLast, last] = input.slice(-2) as [Frame, Frame];
  const inputEnd = ((2 * last.pts - beforeLast.pts) * output.timescale) / inputTimescale;
  const outputEnd = frames.at(-1)!.pts + spans.at(-1)! - (output.codec === 'opus' ? LIBOPUS_PRE_SKIP : 0);
  const frameSamples = Math.max(...spans);
  assert.ok(
    Math.abs(outputEnd - inputEnd) <= frameSamples,
    `output ends at ${outputEnd}, input at ${inputEnd}`,
  );
}

/** Silence, the tone from 1 s, silence from 2 s, the tone again from 3 s: at the same times as the input. */
function assertTone(decoded: Decoded): string {
  const onset = onsetS(decoded);
  assert.ok(Math.abs(onset - TONE_ONSET_S) <= ONSET_TOLERANCE_S, `tone starts at ${onset} s`);
  const resumed = onsetS(decoded, (PAUSE_S[0] + PAUSE_S[1]) / 2);
  assert.ok(Math.abs(resumed - PAUSE_S[1]) <= ONSET_TOLERANCE_S, `tone resumes at ${resumed} s`);
  for (const [from, to] of [
    [TONE_ONSET_S + 0.05, PAUSE_S[0] - 0.05],
    [PAUSE_S[1] + 0.05, SECONDS - 0.1],
  ] as const) {
    const tone = measure(decoded, from, to);
    assert.ok(Math.abs(tone.hz - TONE_HZ) < 10, `tone at ${tone.hz} Hz in ${from}–${to} s`);
    assert.ok(
      tone.rms > TONE_RMS * 0.6 && tone.rms < TONE_RMS * 1.4,
      `tone RMS ${tone.rms} in ${from}–${to} s`,
    );
  }
  assert.ok(measure(decoded, 0, TONE_ONSET_S - 0.05).rms < 30, 'silent before the tone');
  assert.ok(measure(decoded, PAUSE_S[0] + 0.05, PAUSE_S[1] - 0.05).rms < 30, 'silent in the pause');
  return `tone starts at ${onset.toFixed(4)} s, resumes at ${resumed.toFixed(4)} s`;
}
