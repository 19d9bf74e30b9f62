/**
 * Benchmark: CPU and memory of live audio transcoding, Opus → AAC (as a WebRTC publisher recorded to MP4 needs
 * it), for N = 1, 5, 10 concurrent streams fed in real time, one ffmpeg per stream as the transcoder plugin runs.
 *
 * Source: 10 s of 48 kHz stereo Opus (libopus 64 kb/s, 20 ms packets; a tone over pink noise, so the encoder has
 * real work), looped, pts continuous. Each stream gets its packets pushed at their real-time instants. After a
 * 3 s warm-up, a window of BENCH_SECONDS measures from /proc the ffmpeg children's CPU (utime+stime) and RSS/PSS,
 * and the node process's own CPU (framing, parsing: process.cpuUsage). Latency = when a converted frame arrived
 * minus when the input holding its audio was pushed. Transcoder settings are the plugin's defaults (AAC 44.1 kHz
 * stereo, mode 5 = 224 kb/s). Prints a markdown table.
 *
 *   npm run build && node scripts/run-bench.mjs transcode
 *   BENCH_N=1,5,10 BENCH_SECONDS=30 node dist/test/bench/transcode.bench.js
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { resolveFfmpegPath, probeFfmpeg } from '../../plugins/transcoder/ffmpeg-binary.js';
import { FfmpegTranscoder } from '../../plugins/transcoder/ffmpeg-transcoder.js';
import { testSettings } from '../helpers/transcoder/tone-audio.js';
import { readMediaFile } from '../helpers/media-file.js';
import { ffmpeg } from '../helpers/media-tools.js';
import { CLK_TCK, cpuModel, pssKb, rssKb, sumCpuTicks } from '../helpers/proc-stats.js';
import { TempDir } from '../helpers/tmp.js';

const COUNTS = (process.env.BENCH_N ?? '1,5,10').split(',').map(Number);
const WINDOW_S = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP_S = 3;
const SOURCE_S = 10;
const PACKET_SAMPLES = 960;
const MB = 1024;

type Source = NonNullable<Awaited<ReturnType<typeof readMediaFile>>['audio']>;

interface StreamRun {
  transcoder: FfmpegTranscoder;
  pushedAtMs: number[];
  latenciesMs: number[];
  firstOutputMs?: number;
  errors: Error[];
}

interface Row {
  n: number;
  ffmpegCorePct: number;
  nodeCorePct: number;
  rssMb: number;
  pssMb: number;
  firstOutputMs: number;
  latencyMeanMs: number;
  latencyP99Ms: number;
  errors: number;
}

async function makeSource(dir: string): Promise<Source> {
  const path = join(dir, 'source.ogg');
  await ffmpeg(
    ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'].concat(
      ['-f', 'lavfi', '-i', 'anoisesrc=colour=pink:amplitude=0.1:sample_rate=48000', '-filter_complex'],
      ['[0][1]amix=inputs=2,aformat=channel_layouts=stereo', '-t', String(SOURCE_S)],
      ['-c:a', 'libopus', '-b:a', '64k', '-frame_duration', '20', path],
    ),
  );
  const audio = (await readMediaFile(path)).audio;
  if (!audio) throw new Error(`${path}: no audio track`);
  return audio;
}

async function runStreams(n: number, source: Source): Promise<Row> {
  const settings = testSettings(resolveFfmpegPath(process.env.SPOOL_TRANSCODER__FFMPEG__PATH ?? ''), {
    inputBatchMs: Number(process.env.BENCH_INPUT_BATCH_MS ?? 100),
  });
  const log = pino({ level: 'warn' });
  const streams: StreamRun[] = [];
  const startMs = performance.now();
  for (let i = 0; i < n; i++) {
    const run: StreamRun = { transcoder: undefined!, pushedAtMs: [], latenciesMs: [], errors: [] };
    run.transcoder = new FfmpegTranscoder(
      {
        ...{ input: source.track, to: 'aac', log },
        onFrame: (frame) => {
          const now = performance.now();
          run.firstOutputMs ??= now - startMs;
          // The AAC frame's last sample, as an input packet index: it was pushed at that packet's instant.
          const lastPacket = Math.floor(((frame.pts + 1024) * 48000) / 44100 / PACKET_SAMPLES);
          const pushedAt = run.pushedAtMs[Math.min(lastPacket, run.pushedAtMs.length - 1)];
          if (pushedAt !== undefined) run.latenciesMs.push(now - pushedAt);
        },
        onError: (error) => run.errors.push(error),
      },
      settings,
    );
    streams.push(run);
  }
  const pids = streams.map((run) => run.transcoder.pid!);
  const packets = source.frames;
  const totalPackets = Math.ceil(((WARMUP_S + WINDOW_S + 1) * 48000) / PACKET_SAMPLES);
  let next = 0;
  let window: { ticks: number; node: NodeJS.CpuUsage; ms: number } | undefined;
  let ended: { ticks: number; node: NodeJS.CpuUsage; ms: number } | undefined;
  let peakRssKb = 0;
  let peakPssKb = 0;
  let nextSampleMs = WARMUP_S * 1000;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsedMs = performance.now() - startMs;
      // Push every packet whose instant has come, so the feed stays real time whatever the timer's jitter.
      while (next < totalPackets && (next * PACKET_SAMPLES * 1000) / 48000 <= elapsedMs) {
        const packet = packets[next % packets.length]!;
        const pts = next * PACKET_SAMPLES;
        for (const run of streams) {
          run.pushedAtMs[next] = performance.now();
          run.transcoder.push({ ...packet, pts, dts: pts });
        }
        next++;
      }
      if (window === undefined && elapsedMs >= WARMUP_S * 1000) {
        window = { ticks: sumCpuTicks(pids), node: process.cpuUsage(), ms: performance.now() };
      }
      if (window !== undefined && elapsedMs >= nextSampleMs) {
        nextSampleMs += 1000;
        peakRssKb = Math.max(
          peakRssKb,
          pids.reduce((sum, pid) => sum + (rssKb(pid) ?? 0), 0),
        );
        peakPssKb = Math.max(
          peakPssKb,
          pids.reduce((sum, pid) => sum + (pssKb(pid) ?? 0), 0),
        );
      }
      if (window !== undefined && elapsedMs >= (WARMUP_S + WINDOW_S) * 1000) {
        ended = { ticks: sumCpuTicks(pids), node: process.cpuUsage(window.node), ms: performance.now() };
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
  await Promise.all(streams.map((run) => run.transcoder.close()));
  const seconds = (ended!.ms - window!.ms) / 1000;
  const latencies = streams.flatMap((run) => run.latenciesMs).sort((a, b) => a - b);
  return {
    n,
    ffmpegCorePct: (100 * (ended!.ticks - window!.ticks)) / CLK_TCK / seconds / n,
    nodeCorePct: (100 * (ended!.node.user + ended!.node.system)) / 1e6 / seconds / n,
    rssMb: peakRssKb / MB / n,
    pssMb: peakPssKb / MB / n,
    firstOutputMs: Math.max(...streams.map((run) => run.firstOutputMs ?? Number.NaN)),
    latencyMeanMs: latencies.reduce((sum, value) => sum + value, 0) / Math.max(1, latencies.length),
    latencyP99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN,
    errors: streams.reduce((sum, run) => sum + run.errors.length, 0),
  };
}

async function main(): Promise<void> {
  const tmp = new TempDir('spool-bench-transcode-');
  try {
    const source = await makeSource(tmp.path);
    const ffmpegPath = resolveFfmpegPath(process.env.SPOOL_TRANSCODER__FFMPEG__PATH ?? '');
    const build = await probeFfmpeg(ffmpegPath);
    const rows: Row[] = [];
    for (const n of COUNTS) {
      console.error(`transcode bench: N = ${n}, ${WARMUP_S} s warm-up + ${WINDOW_S} s window`);
      rows.push(await runStreams(n, source));
    }
    console.log('\n### Opus → AAC transcoding, real-time streams\n');
    console.log(`- date: ${new Date().toISOString()}`);
    console.log(
      `- nproc: ${cpus().length}; CPU: ${cpuModel()}; node ${process.version}; ${build.version.split(' ').slice(0, 3).join(' ')}`,
    );
    console.log(
      '- input 48 kHz stereo Opus 64 kb/s, 20 ms packets; output AAC-LC 44.1 kHz stereo 224 kb/s (mode 5)',
    );
    console.log(`- window ${WINDOW_S} s after ${WARMUP_S} s warm-up; MB = 2^20 bytes\n`);
    const header = [
      'N',
      'ffmpeg CPU % of a core per stream',
      'node CPU % per stream',
      'ffmpeg RSS MB per stream',
      'ffmpeg PSS MB per stream',
      'first output ms',
      'latency mean ms',
      'latency p99 ms',
      'errors',
    ];
    console.log(`| ${header.join(' | ')} |`);
    console.log(`|${header.map(() => '---').join('|')}|`);
    for (const row of rows) {
      const cells = [
        row.n,
        row.ffmpegCorePct.toFixed(2),
        row.nodeCorePct.toFixed(2),
        row.rssMb.toFixed(1),
        row.pssMb.toFixed(1),
        row.firstOutputMs.toFixed(0),
        row.latencyMeanMs.toFixed(1),
        row.latencyP99Ms.toFixed(1),
        row.errors,
      ];
      console.log(`| ${cells.join(' | ')} |`);
    }
    if (rows.some((row) => row.errors > 0)) process.exitCode = 1;
  } finally {
    tmp.cleanup();
  }
}

await main();
