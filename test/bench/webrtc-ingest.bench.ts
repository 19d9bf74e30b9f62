/**
 * Benchmark (issue 6): N WebRTC publishers, all recorded to MP4 (H.264 as is, Opus → AAC through one
 * transcoder ffmpeg per stream), on one Spool process.
 *
 * Prepared once with ffmpeg: 20 s of H.264 constrained baseline (1280x720, 30 fps, ~1.4 Mbps, GOP 1 s, no
 * B-frames, Annex-B with access unit delimiters) and Opus (48 kHz stereo, 20 ms packets, Ogg).
 * Publishers: one separate node process (webrtc-publisher-child.ts) holding N werift peer connections; each
 * publishes over WHIP (non-trickle, loopback ICE) and replays the prepared media in real time, packetized
 * but never encoded. Its CPU is reported, not counted. Once every stream is published and recording, a
 * window of BENCH_SECONDS measures from /proc: Spool's CPU (utime+stime) and RSS (VmRSS every second), and
 * the same for Spool's ffmpeg children (the Opus → AAC transcoders), separately and in total.
 * RSS per stream: Spool (window peak − idle peak) / R; ffmpeg children peak summed RSS / R (and PSS), where
 * R is the number of streams recording when the window starts (N unless some never connected: reported).
 *
 *   npm run build && node scripts/run-bench.mjs webrtc-ingest
 *   BENCH_N=1,10 BENCH_SECONDS=20 node dist/test/bench/webrtc-ingest.bench.js
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeErrors, ffmpeg, ffprobe, FFMPEG } from '../helpers/media-tools.js';
import { freePort } from '../helpers/ports.js';
import {
  busyFraction,
  CLK_TCK,
  cpuModel,
  cpuTicks,
  machineCpu,
  pssKb,
  sumCpuTicks,
  sumRssKb,
} from '../helpers/proc-stats.js';
import { SPOOL_BIN } from '../helpers/spool-process.js';
import { metricSum, NodeChild } from '../helpers/bench-children.js';
import { TempDir } from '../helpers/tmp.js';
import { fileSize, sleep, waitUntil } from '../helpers/bench-wait.js';

const MEDIA_SECONDS = 20;
const SETTLE_MS = 3000;
const IDLE_MS = 5000;
/** A recording counts as running once its file holds this much (about 1.3 s of media). */
const READY_BYTES = 256 * 1024;
const MiB = 1024; // kB per MiB
const PUBLISHER_CHILD = join(dirname(fileURLToPath(import.meta.url)), 'webrtc-publisher-child.js');

const windowSeconds = Number(process.env.BENCH_SECONDS ?? 30);
/** BENCH_CONTAINER=mkv records H.264 + Opus to MKV as they arrive: no transcoder, Spool's own cost alone. */
const container = process.env.BENCH_CONTAINER ?? 'mp4';
if (container !== 'mp4' && container !== 'mkv')
  throw new Error(`BENCH_CONTAINER must be mp4 or mkv, got ${container}`);
const counts = (process.env.BENCH_N ?? '1,10,25,50').split(',').map((n) => Number(n.trim()));

/** Live child processes of `parent` whose command name is `comm` (from /proc/PID/stat). */
function childPids(parent: number, comm: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && name === comm) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Machine-wide count of UDP datagrams dropped because a socket's receive buffer was full (/proc/net/snmp). */
function udpRcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('Udp: '));
  const names = lines[0]?.split(' ') ?? [];
  const values = lines[1]?.split(' ') ?? [];
  return Number(values[names.indexOf('RcvbufErrors')] ?? 0);
}

// ---- one run at N ----

interface Window {
  seconds: number;
  spoolCpuS: number;
  ffmpegCpuS: number;
  publisherCpuS: number;
  spoolPeakRssKb: number;
  ffmpegPeakRssKb: number;
  ffmpegPssKb: number;
  ffmpegCount: number;
  machineBusy: number;
  recordedBytes: number;
  videoFramesSent: number;
  plis: number;
  maxLateMs: number;
}

interface Result {
  n: number;
  idleRssKb: number;
  idleCores: number;
  window?: Window;
  readyS?: number;
  /** Streams recording when the window started: per-stream figures are divided by this. */
  recording: number;
  loadBefore: string;
  problems: string[];
  info: string[];
}

async function runOnce(n: number, tmp: string, video: string, audio: string): Promise<Result> {
  const result: Result = {
    n,
    recording: 0,
    idleRssKb: 0,
    idleCores: 0,
    loadBefore: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    problems: [],
    info: [],
  };
  const dir = join(tmp, `n-${n}`);
  const recordDir = join(dir, 'records');
  mkdirSync(dir, { recursive: true });
  const httpPort = await freePort();
  const base = `http://127.0.0.1:${httpPort}`;
  // BENCH_CPU_PROF=DIR: a V8 CPU profile of Spool (written when it exits), for finding where its time goes.
  const profile = process.env.BENCH_CPU_PROF;
  const spool = new NodeChild([
    ...(profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=spool-n${n}.cpuprofile`]),
    // BENCH_SPOOL_NODE_ARGS: more node options for Spool, e.g. --trace-gc (its lines land in BENCH_LOG's .stdout).
    ...(process.env.BENCH_SPOOL_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== ''),
    SPOOL_BIN, 'start',
    '--plugins', join(tmp, 'plugins.json'),
    '--set', `http.port=${httpPort}`, '--set', 'http.host=127.0.0.1',
    '--set', 'ingest-webrtc.ice.addresses=127.0.0.1',
    '--set', `recorder.recordDir=${recordDir}`,
    '--set', 'recorder.fileTemplate={streamName}',
    '--set', `recorder.recordFormats=h264-${container}`,
    '--set', `dataDir=${join(dir, 'data')}`,
    '--set', `log.level=${process.env.BENCH_LOG_LEVEL ?? 'warn'}`,
  ]); // prettier-ignore
  const pid = spool.pid;
  const spoolDied = () =>
    spool.alive ? undefined : `Spool exited: ${spool.stderr.join('\n')} ${JSON.stringify(spool.lines)}`;
  let publishers: NodeChild | undefined;
  const metrics = async () => (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const tmpFiles = () =>
    existsSync(recordDir)
      ? readdirSync(recordDir).filter((name) => name.startsWith('.spool-') && name.endsWith(`.${container}`))
      : [];
  const recordingBytes = () => tmpFiles().reduce((sum, name) => sum + fileSize(join(recordDir, name)), 0);
  const publisherProblem = () =>
    publishers === undefined || publishers.alive
      ? undefined
      : `publisher process exited: ${publishers.stderr.join('\n').slice(-600)}`;
  const recordingCount = () =>
    tmpFiles().filter((name) => fileSize(join(recordDir, name)) >= READY_BYTES).length;
  try {
    await waitUntil(
      'Spool /health',
      async () => {
        try {
          return (await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) })).ok;
        } catch {
          return false;
        }
      },
      30_000,
      spoolDied,
      200,
    );
    // Idle phase: peak RSS and CPU before anything is published.
    const idleStart = performance.now();
    const idleTicks0 = cpuTicks(pid) ?? 0;
    for (let i = 0; i < IDLE_MS / 500; i++) {
      await sleep(500);
      result.idleRssKb = Math.max(result.idleRssKb, sumRssKb([pid]));
    }
    result.idleCores =
      ((cpuTicks(pid) ?? 0) - idleTicks0) / CLK_TCK / ((performance.now() - idleStart) / 1000);

    const names = Array.from({ length: n }, (_, k) => `s${k}`);
    // Spread the starts (at most 200 ms apart, ~5 s in all), so keyframes are not sent in lockstep.
    const staggerMs = Math.min(200, 5000 / n);
    // Handshakes two at a time (each costs the publisher process a DTLS handshake in JS).
    publishers = new NodeChild([
      PUBLISHER_CHILD,
      JSON.stringify({ base, names, video, audio, staggerMs, concurrency: 2 }),
    ]);
    const pub = publishers;
    // Every stream recording, or given up on by the publisher (after its retries): measure what runs.
    try {
      const readyMs = await waitUntil(
        `${n} streams published and recording`,
        () => recordingCount() + pub.events('failed').length >= n,
        30_000 + n * 1000,
        () => spoolDied() ?? publisherProblem(),
      );
      result.readyS = readyMs / 1000;
    } catch (error) {
      if (spoolDied() !== undefined || publisherProblem() !== undefined || recordingCount() === 0)
        throw error;
      result.problems.push((error as Error).message);
    }
    await sleep(SETTLE_MS);
    const recording = recordingCount();
    result.recording = recording;
    const retries = pub.events('retry').length;
    const gaveUp = pub.events('failed').length;
    if (retries > 0) result.info.push(`${retries} publish retries (not connected within 20 s)`);
    if (gaveUp > 0) result.problems.push(`${gaveUp} publishers never connected (3 attempts)`);
    if (recording < n) result.problems.push(`only ${recording} of ${n} streams recording`);

    // ---- the window ----
    const ffmpegs = childPids(pid, basename(FFMPEG));
    const droppedBefore = metricSum(await metrics(), 'spool_bus_frames_dropped_total');
    const statsBefore = publishers.events('stats').length;
    const sent0 = Number(publishers.events('stats').at(-1)?.videoFrames ?? 0);
    const startedMs = performance.now();
    const spool0 = cpuTicks(pid) ?? 0;
    const ffmpeg0 = sumCpuTicks(ffmpegs);
    const pub0 = cpuTicks(publishers.pid) ?? 0;
    const machine0 = machineCpu();
    const bytes0 = recordingBytes();
    const rcvbuf0 = udpRcvbufErrors();
    let spoolPeak = 0;
    let ffmpegPeak = 0;
    for (let i = 1; i <= windowSeconds; i++) {
      await sleep(Math.max(0, startedMs + i * 1000 - performance.now()));
      spoolPeak = Math.max(spoolPeak, sumRssKb([pid]));
      ffmpegPeak = Math.max(ffmpegPeak, sumRssKb(ffmpegs));
    }
    const seconds = (performance.now() - startedMs) / 1000;
    const rcvbufErrors = udpRcvbufErrors() - rcvbuf0;
    if (rcvbufErrors > 0)
      result.problems.push(
        `${rcvbufErrors} UDP datagrams dropped (receive buffer full, machine-wide) in the window`,
      );
    const stats = publishers.events('stats').slice(statsBefore);
    const window: Window = {
      seconds,
      spoolCpuS: ((cpuTicks(pid) ?? 0) - spool0) / CLK_TCK,
      ffmpegCpuS: (sumCpuTicks(ffmpegs) - ffmpeg0) / CLK_TCK,
      publisherCpuS: ((cpuTicks(publishers.pid) ?? 0) - pub0) / CLK_TCK,
      spoolPeakRssKb: spoolPeak,
      ffmpegPeakRssKb: ffmpegPeak,
      ffmpegPssKb: ffmpegs.reduce((sum, p) => sum + (pssKb(p) ?? 0), 0),
      ffmpegCount: ffmpegs.length,
      machineBusy: busyFraction(machine0, machineCpu()),
      recordedBytes: recordingBytes() - bytes0,
      videoFramesSent: Number(stats.at(-1)?.videoFrames ?? sent0) - sent0,
      plis: Number(stats.at(-1)?.plis ?? 0),
      maxLateMs: Math.max(0, ...stats.map((s) => Number(s.maxLateMs))),
    };
    result.window = window;
    const after = await metrics();
    const dropped = metricSum(after, 'spool_bus_frames_dropped_total') - droppedBefore;
    const errors = metricSum(after, 'spool_plugin_errors_total');
    // prom-client's event-loop delay histogram restarts at every scrape: this one covers the window.
    const lagMaxMs = metricSum(after, 'nodejs_eventloop_lag_max_seconds') * 1000;
    const lagP99Ms = metricSum(after, 'nodejs_eventloop_lag_p99_seconds') * 1000;
    result.info.push(
      `Spool event-loop delay in the window: p99 ${lagP99Ms.toFixed(0)} ms, max ${lagMaxMs.toFixed(0)} ms`,
    );
    if (ffmpegs.length !== (container === 'mp4' ? recording : 0))
      result.problems.push(`${ffmpegs.length} transcoder ffmpegs for ${recording} streams`);
    if (dropped > 0) result.problems.push(`${dropped} frames dropped on the bus during the window`);
    if (errors > 0) result.problems.push(`${errors} plugin errors`);
    const expectedFrames = recording * 30 * stats.length; // stats lines: one a second
    if (window.videoFramesSent < 0.98 * expectedFrames)
      result.problems.push(
        `publishers sent ${window.videoFramesSent} of ${Math.round(expectedFrames)} video frames`,
      );
    if (window.maxLateMs > 100) result.info.push(`publisher pacing up to ${window.maxLateMs} ms late`);
    if (window.plis > 0) result.info.push(`${window.plis} PLIs received (whole run)`);

    // Publishers leave (WHIP DELETE): every recording is finalized.
    await publishers.stop('SIGTERM', 20_000);
    const finalized = () =>
      names.map((name) => `${name}.${container}`).filter((f) => existsSync(join(recordDir, f)));
    await waitUntil(
      `${recording} finalized recordings`,
      () => tmpFiles().length === 0 && finalized().length >= recording,
      60_000 + n * 2000,
      spoolDied,
    );
    result.info.push(`${finalized().length} recordings finalized`);
    const empty = finalized().filter((name) => fileSize(join(recordDir, name)) === 0);
    if (empty.length > 0) result.problems.push(`empty recordings: ${empty.join(', ')}`);
    const first = join(recordDir, finalized()[0] ?? `s0.${container}`);
    const probe = await ffprobe(first);
    const codecs = probe.streams.map((s) => s.codec_name).join('+');
    result.info.push(`${basename(first)} ${Number(probe.format.duration).toFixed(1)} s ${codecs}`);
    if (n === 1) {
      const printed = await decodeErrors(first);
      if (printed !== '')
        result.problems.push(`${basename(first)} does not decode cleanly: ${printed.slice(0, 300)}`);
      else result.info.push(`${basename(first)} decodes cleanly`);
    }
  } catch (error) {
    result.problems.push(`failed: ${(error as Error).message.slice(0, 600)}`);
  } finally {
    await publishers?.stop('SIGKILL', 1000);
    await spool.stop('SIGTERM', 60_000);
    const warnings = spool.lines.filter((line) => Number(line.level) >= 40);
    if (process.env.BENCH_LOG !== undefined) {
      const logFile = `${process.env.BENCH_LOG}-n${n}.jsonl`;
      writeFileSync(logFile, spool.lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
      writeFileSync(`${process.env.BENCH_LOG}-n${n}.stderr`, spool.stderr.join('\n') + '\n');
      if (publishers !== undefined)
        writeFileSync(
          `${process.env.BENCH_LOG}-n${n}.publishers.stderr`,
          publishers.stderr.join('\n') + '\n',
        );
      console.error(`  Spool's log: ${logFile}`);
    }
    if (warnings.length > 0) {
      result.info.push(`${warnings.length} warning/error log lines`);
      for (const line of warnings.slice(0, 5))
        console.error(`  spool: ${JSON.stringify(line).slice(0, 300)}`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

// ---- main ----

async function prepareMedia(video: string, audio: string): Promise<void> {
  await ffmpeg([
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t',
    '-t', String(MEDIA_SECONDS),
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'baseline', '-level', '3.1', '-pix_fmt', 'yuv420p',
    '-bf', '0', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0',
    '-b:v', '1400k', '-maxrate', '1400k', '-bufsize', '1400k',
    '-x264-params', 'aud=1:repeat-headers=1',
    '-f', 'h264', video,
  ], 600_000); // prettier-ignore
  await ffmpeg([
    '-v', 'error', '-y',
    // Two different tones: with identical channels libopus codes some packets as mono.
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-f', 'lavfi', '-i', 'sine=frequency=660:sample_rate=48000',
    '-filter_complex', '[0:a][1:a]amerge=inputs=2[a]', '-map', '[a]',
    '-t', String(MEDIA_SECONDS),
    '-c:a', 'libopus', '-b:a', '96k', '-frame_duration', '20', '-ar', '48000', '-ac', '2',
    '-f', 'ogg', audio,
  ]); // prettier-ignore
}

const mib = (kb: number) => (kb / MiB).toFixed(1).replace(/^-0\.0$/, '0.0');
const pct = (cpuS: number, seconds: number, n: number) => ((100 * cpuS) / seconds / n).toFixed(2);

async function main(): Promise<void> {
  if (!(windowSeconds > 0 && windowSeconds <= 3600))
    throw new Error(`BENCH_SECONDS must be in (0, 3600], got ${process.env.BENCH_SECONDS}`);
  if (counts.some((n) => !(Number.isInteger(n) && n > 0 && n <= 200)))
    throw new Error(`BENCH_N must be integers in 1..200, got ${process.env.BENCH_N}`);
  const tmp = new TempDir('spool-bench-webrtc-');
  const results: Result[] = [];
  let mediaMbps: number | undefined;
  try {
    const video = join(tmp.path, 'video.h264');
    const audio = join(tmp.path, 'audio.ogg');
    console.error(`webrtc-ingest bench: preparing ${MEDIA_SECONDS} s of H.264 + Opus ...`);
    await prepareMedia(video, audio);
    mediaMbps = ((fileSize(video) + fileSize(audio)) * 8) / MEDIA_SECONDS / 1e6;
    tmp.json('plugins.json', {
      plugins: [
        'ingest-webrtc',
        'recorder',
        ...(container === 'mp4' ? ['writer-mp4', 'transcoder'] : ['writer-mkv']),
      ].map((name) => ({
        name,
        enabled: true,
      })),
    });
    for (const n of counts) {
      console.error(`webrtc-ingest bench: N = ${n}, ${windowSeconds} s window ...`);
      const result = await runOnce(n, tmp.path, video, audio);
      results.push(result);
      console.error(`  ${JSON.stringify(result)}`);
    }
  } finally {
    tmp.cleanup();
  }

  console.log(
    `\n### WebRTC recording: N werift publishers of ~${(mediaMbps ?? 0).toFixed(2)} Mbps H.264 + Opus → ${container === 'mp4' ? 'MP4 (H.264 + AAC)' : 'MKV (H.264 + Opus, no transcoding)'}, ${windowSeconds} s window\n`,
  );
  console.log(`- date: ${new Date().toISOString()}`);
  console.log(`- nproc: ${cpus().length}; CPU: ${cpuModel()}; node ${process.version}; CLK_TCK ${CLK_TCK}`);
  console.log(`- load average before each N: ${results.map((r) => `N=${r.n}: ${r.loadBefore}`).join('; ')}`);
  console.log('- CPU % = % of one core; MB = 2^20 bytes\n');
  const header = [
    'N',
    'Spool CPU % per stream',
    'ffmpeg CPU % per stream',
    'total CPU % per stream',
    'Spool RSS MB per stream (above idle)',
    'ffmpeg RSS MB per stream (PSS)',
    'total RSS MB per stream',
    'Spool cores',
    'Spool peak RSS MB (idle)',
    'publisher cores',
    'machine busy',
    'recorded Mbps/stream',
    'notes',
  ];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  let failed = false;
  for (const r of results) {
    const w = r.window;
    if (r.problems.length > 0) failed = true;
    const notes = [
      r.readyS === undefined ? '' : `all recording ${r.readyS.toFixed(1)} s after start`,
      `idle ${r.idleCores.toFixed(3)} cores`,
      ...r.info,
      ...r.problems.map((p) => `**${p}**`),
    ].filter((s) => s !== '');
    if (w === undefined) {
      console.log(
        `| ${r.n} | ${header
          .slice(1, -1)
          .map(() => '-')
          .join(' | ')} | ${notes.join('; ')} |`,
      );
      continue;
    }
    const k = Math.max(1, r.recording);
    const spoolRss = (w.spoolPeakRssKb - r.idleRssKb) / k;
    const ffmpegRss = w.ffmpegPeakRssKb / k;
    console.log(
      `| ${[
        r.recording === r.n ? r.n : `${r.n} (${r.recording} recording)`,
        pct(w.spoolCpuS, w.seconds, k),
        pct(w.ffmpegCpuS, w.seconds, k),
        pct(w.spoolCpuS + w.ffmpegCpuS, w.seconds, k),
        mib(spoolRss),
        `${mib(ffmpegRss)} (${mib(w.ffmpegPssKb / k)})`,
        mib(spoolRss + ffmpegRss),
        (w.spoolCpuS / w.seconds).toFixed(2),
        `${mib(w.spoolPeakRssKb)} (${mib(r.idleRssKb)})`,
        (w.publisherCpuS / w.seconds).toFixed(2),
        `${(w.machineBusy * 100).toFixed(0)}%`,
        ((w.recordedBytes * 8) / w.seconds / k / 1e6).toFixed(2),
        notes.join('; '),
      ].join(' | ')} |`,
    );
  }
  console.log('');
  if (failed) process.exitCode = 1;
}

await main();
