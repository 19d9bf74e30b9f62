/**
 * Benchmark: finalizing a long fragmented MP4 recording (default 60 min, env BENCH_MINUTES).
 * Writes the recording as fast as possible (a 10 s H.264 B-frame + AAC clip looped), then finalizes it in
 * each layout in a fresh child process, measuring wall time and peak RSS, with mediabunny's own remux
 * (Input -> count packets -> Output fastStart 'reserve') as the baseline. Prints a markdown table.
 *
 *   npm run bench            (all benchmarks)
 *   BENCH_MINUTES=120 node dist/test/bench/finalize-mp4.bench.js
 */
import { spawn } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ALL_FORMATS,
  EncodedAudioPacketSource,
  EncodedPacketSink,
  EncodedVideoPacketSource,
  FilePathSource,
  FilePathTarget,
  Input,
  Mp4OutputFormat,
  Output,
  type EncodedPacket,
} from 'mediabunny';
import { finalizeFragmentedMp4, type FinalizeOptions } from '../../lib/mp4/finalize.js';
import { makeClip } from '../helpers/media-file.js';
import { ffprobe } from '../helpers/media-tools.js';
import { TempDir } from '../helpers/tmp.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const WRITER_CHILD = join(import.meta.dirname, '..', 'fixtures', 'fmp4-writer-child.js');
const RESERVE_BYTES = 2048 * 1024;

const layouts: Record<string, FinalizeOptions> = {
  'moov-first': { moovFirst: true },
  'moov-last': { moovFirst: false },
  'reserve-2048k': { moovFirst: true, reserveBytes: RESERVE_BYTES },
};

/** What a child reports on its last stdout line. */
interface ChildReport {
  elapsedMs: number;
  peakRssMB: number;
  [key: string]: unknown;
}

function peakRssMB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

// ---- child modes: one measured operation per process, so peak RSS is that operation's alone ----

async function childFinalize(input: string, output: string, layout: string): Promise<void> {
  const options = layouts[layout];
  if (!options) throw new Error(`unknown layout ${layout}`);
  const startedMs = performance.now();
  const result = await finalizeFragmentedMp4(input, output, options);
  const elapsedMs = Math.round(performance.now() - startedMs);
  console.log(
    JSON.stringify({
      elapsedMs,
      peakRssMB: peakRssMB(),
      sizeBytes: result.sizeBytes,
      moovBytes: result.moovBytes,
      fragments: result.fragmentCount,
      samples: result.tracks.map((track) => track.sampleCount).join('+'),
    }),
  );
}

/** Approach (a) of the prototype: remux with mediabunny alone; two passes, as Conversion cannot 'reserve'. */
async function childMediabunny(inputPath: string, outputPath: string): Promise<void> {
  const startedMs = performance.now();
  const input = new Input({ source: new FilePathSource(inputPath), formats: ALL_FORMATS });
  try {
    const tracks = await input.getTracks();
    const counts: number[] = [];
    for (const track of tracks) {
      let count = 0;
      const sink = new EncodedPacketSink(track);
      for await (const packet of sink.packets(undefined, undefined, { metadataOnly: true }))
        count += packet ? 1 : 0;
      counts.push(count);
    }
    const countMs = Math.round(performance.now() - startedMs);
    const output = new Output({
      format: new Mp4OutputFormat({ fastStart: 'reserve' }),
      target: new FilePathTarget(outputPath),
    });
    interface Feed {
      add: (packet: EncodedPacket, first: boolean) => Promise<void>;
      packets: AsyncGenerator<EncodedPacket>;
    }
    const feeds: Feed[] = [];
    for (const [i, track] of tracks.entries()) {
      const maximumPacketCount = counts[i] ?? 0;
      const packets = new EncodedPacketSink(track).packets();
      if (track.isVideoTrack()) {
        const decoderConfig = await track.getDecoderConfig();
        const source = new EncodedVideoPacketSource(track.codec ?? 'avc');
        output.addVideoTrack(source, { maximumPacketCount, frameRate: await track.getTimeResolution() });
        feeds.push({
          packets,
          add: (packet, first) => source.add(packet, first && decoderConfig ? { decoderConfig } : undefined),
        });
      } else if (track.isAudioTrack()) {
        const decoderConfig = await track.getDecoderConfig();
        const source = new EncodedAudioPacketSource(track.codec ?? 'aac');
        output.addAudioTrack(source, { maximumPacketCount });
        feeds.push({
          packets,
          add: (packet, first) => source.add(packet, first && decoderConfig ? { decoderConfig } : undefined),
        });
      }
    }
    await output.start();
    // Merge the tracks by timestamp so the output is interleaved.
    const heads = await Promise.all(feeds.map((feed) => feed.packets.next()));
    const first = feeds.map(() => true);
    while (true) {
      let pick = -1;
      heads.forEach((head, i) => {
        const best = heads[pick];
        if (!head.done && (!best || best.done || head.value.timestamp < best.value.timestamp)) pick = i;
      });
      const feed = feeds[pick];
      const head = heads[pick];
      if (!feed || !head || head.done) break;
      await feed.add(head.value, first[pick] ?? false);
      first[pick] = false;
      heads[pick] = await feed.packets.next();
    }
    await output.finalize();
    const elapsedMs = Math.round(performance.now() - startedMs);
    const sizeBytes = (await stat(outputPath)).size;
    console.log(
      JSON.stringify({ elapsedMs, peakRssMB: peakRssMB(), sizeBytes, countMs, samples: counts.join('+') }),
    );
  } finally {
    input.dispose();
  }
}

// ---- parent ----

async function runChild(args: string[], nodeFlags: string[] = []): Promise<ChildReport & { wallMs: number }> {
  const startedMs = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  const wallMs = Math.round(performance.now() - startedMs);
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}: ${stdout}`);
  const last = stdout.trim().split('\n').at(-1) ?? '{}';
  return { ...(JSON.parse(last) as ChildReport), wallMs };
}

const mb = (bytes: unknown): string => (Number(bytes) / 2 ** 20).toFixed(1);
const s = (ms: unknown): string => (Number(ms) / 1000).toFixed(2);

async function main(): Promise<void> {
  const minutes = Number(process.env.BENCH_MINUTES ?? 60);
  if (!(minutes > 0))
    throw new Error(`BENCH_MINUTES must be a positive number, got ${process.env.BENCH_MINUTES}`);
  const tmp = new TempDir('spool-bench-mp4-');
  try {
    const clip = await makeClip({ seconds: 10, bFrames: 2 });
    const fragmented = join(tmp.path, 'recording.frag.mp4');
    console.error(`finalize-mp4 bench: writing ${minutes} min of fragmented MP4 ...`);
    const rows: string[][] = [];
    const written = await runChild([WRITER_CHILD, clip, fragmented, String(minutes * 60), 'av']);
    const fragmentedBytes = (await stat(fragmented)).size;
    rows.push([
      'write fragmented (FragmentedMp4Writer)',
      s(written.elapsedMs),
      s(written.wallMs),
      String(written.peakRssMB),
      mb(fragmentedBytes),
      '',
      `${written.frames} frames`,
    ]);

    const baseline = await runChild([
      '-e',
      'console.log(JSON.stringify({ elapsedMs: 0, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }))',
    ]);
    rows.push([
      'node baseline (empty process)',
      '',
      s(baseline.wallMs),
      String(baseline.peakRssMB),
      '',
      '',
      '',
    ]);

    const runs: { name: string; args: string[]; nodeFlags?: string[] }[] = [
      ...Object.keys(layouts).map((layout) => ({ name: `finalize ${layout}`, args: ['--finalize', layout] })),
      {
        name: 'finalize moov-first, --max-old-space-size=16',
        args: ['--finalize', 'moov-first'],
        nodeFlags: ['--max-old-space-size=16'],
      },
      { name: 'mediabunny remux (baseline)', args: ['--mediabunny'] },
    ];
    for (const run of runs) {
      console.error(`finalize-mp4 bench: ${run.name} ...`);
      const output = join(tmp.path, 'finalized.mp4');
      const [mode, ...rest] = run.args;
      const report = await runChild([THIS_FILE, mode ?? '', fragmented, output, ...rest], run.nodeFlags);
      const probe = await ffprobe(output);
      const durations = probe.streams.map(
        (stream) => `${stream.codec_name} ${Number(stream.duration).toFixed(3)} s`,
      );
      rows.push([
        run.name,
        s(report.elapsedMs),
        s(report.wallMs),
        String(report.peakRssMB),
        mb(report.sizeBytes),
        report.moovBytes === undefined ? '' : (Number(report.moovBytes) / 1024).toFixed(0),
        [`${report.samples} samples`, ...durations, report.countMs ? `counting ${s(report.countMs)} s` : '']
          .filter(Boolean)
          .join(', '),
      ]);
      await rm(output, { force: true });
    }

    console.log(
      `\n### Finalizing ${minutes} min of fragmented MP4 (${mb(fragmentedBytes)} MiB, H.264 B-frames + AAC)\n`,
    );
    const header = [
      'step',
      'operation s',
      'process wall s',
      'peak RSS MiB',
      'output MiB',
      'moov KiB',
      'notes',
    ];
    console.log(`| ${header.join(' | ')} |`);
    console.log(`|${header.map(() => '---').join('|')}|`);
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
    console.log('');
  } finally {
    tmp.cleanup();
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === '--finalize') await childFinalize(args[0] ?? '', args[1] ?? '', args[2] ?? '');
else if (mode === '--mediabunny') await childMediabunny(args[0] ?? '', args[1] ?? '');
else await main();
