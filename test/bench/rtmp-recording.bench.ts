/**
 * Benchmark (issue 3): N concurrent RTMP publishers, all recorded to MP4, on one Spool process, against the
 * baseline "one `ffmpeg -listen 1 -i rtmp://… -c copy out.mp4` process per stream", in the same run.
 *
 * Prepared once: a 60 s H.264 (1280x720, 30 fps, ~1.4 Mbps, GOP 1 s, no B-frames) + AAC (128 kb/s) FLV.
 * Publishers: N ffmpeg processes `-re -stream_loop -1 -i prepared.flv -c copy -f flv rtmp://…` (no encoding;
 * their CPU is not counted, only reported). Once every stream is being recorded, a window of BENCH_SECONDS
 * measures the server side from /proc: CPU (utime+stime deltas) and RSS (VmRSS sampled every second).
 * Spool's RSS per stream is (peak during the window − idle RSS before publishing) / N; the baseline's is the
 * peak of the summed RSS of its N ffmpeg processes / N (their PSS, which splits the shared pages of the static
 * binary, is reported beside it). Prints the system, a summary table and a details table (markdown).
 *
 *   npm run build && node scripts/run-bench.mjs rtmp
 *   BENCH_N=1,10 BENCH_SECONDS=20 node dist/test/bench/rtmp-recording.bench.js
 *   BENCH_SIDES=spool            only Spool (or: baseline)
 *   BENCH_CPU_PROF=/some/dir     Spool runs under node --cpu-prof (profiles kept in that dir); prints the top
 *                                self-time functions of the measurement window (figures include profiler overhead)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { ffmpeg, decodeErrors, ffprobe } from '../helpers/media-tools.js';
import { freePort } from '../helpers/ports.js';
import {
  busyFraction,
  CLK_TCK,
  cpuModel,
  cpuTicks,
  listeningTcpPorts,
  machineCpu,
  pssKb,
  sumCpuTicks,
  sumRssKb,
  systemTicks,
  threadCpuTicks,
} from '../helpers/proc-stats.js';
import { SPOOL_BIN } from '../helpers/spool-process.js';
import { FfmpegChild, metricSum, NodeChild } from '../helpers/bench-children.js';
import { TempDir } from '../helpers/tmp.js';
import { fileSize, sleep, waitUntil } from '../helpers/bench-wait.js';

const MEDIA_SECONDS = 60;
/** Settling time between "every stream records" and the start of the measurement window. */
const SETTLE_MS = 3000;
/** Idle phase of the server before anything is published (RSS and CPU baseline). */
const IDLE_MS = 5000;
/** A recording counts as running once its file holds this much (about 1.3 s of media). */
const READY_BYTES = 256 * 1024;
const MiB = 1024; // kB per MiB

const windowSeconds = Number(process.env.BENCH_SECONDS ?? 30);
const counts = (process.env.BENCH_N ?? '1,10,50,100').split(',').map((n) => Number(n.trim()));
const sides = new Set((process.env.BENCH_SIDES ?? 'spool,baseline').split(',').map((s) => s.trim()));
const profileDir = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined;

/** Replays the prepared file in real time, without encoding, for at most maxSeconds. */
function publisher(media: string, url: string, maxSeconds: number): FfmpegChild {
  return new FfmpegChild([
    '-re', '-stream_loop', '-1', '-i', media,
    '-c', 'copy', '-t', String(maxSeconds), '-f', 'flv', url,
  ]); // prettier-ignore
}

async function startPublishers(media: string, urls: readonly string[], maxSeconds: number) {
  // Spread the starts over ~2 s, so that N identical streams do not send their keyframes in lockstep.
  const staggerMs = Math.min(200, 2000 / urls.length);
  const started: FfmpegChild[] = [];
  for (const url of urls) {
    started.push(publisher(media, url, maxSeconds));
    await sleep(staggerMs);
  }
  return started;
}

function deadPublisher(publishers: readonly FfmpegChild[]): string | undefined {
  const dead = publishers.findIndex((p) => !p.alive);
  return dead < 0 ? undefined : `publisher ${dead} exited: ${publishers[dead]!.stderr.trim().slice(-400)}`;
}

// ---- the measurement window ----

interface Window {
  seconds: number;
  serverCpuS: number;
  /** The kernel-side (stime) part of serverCpuS. */
  serverSystemS: number;
  /** One server process only: its main thread's share of serverCpuS (the rest: GC, libuv pool, workers). */
  mainThreadCpuS: number;
  peakRssKb: number;
  meanRssKb: number;
  publishersCpuS: number;
  machineBusy: number;
  /** Bytes the recordings grew by during the window. */
  recordedBytes: number;
  /** process.hrtime (µs, CLOCK_MONOTONIC) at the start and end, to cut CPU profiles to the window. */
  hrStartUs: number;
  hrEndUs: number;
  /** Server or publisher processes that died during the window. */
  deaths: number;
}

async function measure(
  serverPids: readonly number[],
  publishers: readonly FfmpegChild[],
  recordedBytes: () => number,
): Promise<Window> {
  const publisherPids = publishers.map((p) => p.pid);
  const hrStartUs = Number(process.hrtime.bigint() / 1000n);
  const startedMs = performance.now();
  const cpu0 = sumCpuTicks(serverPids);
  const sys0 = serverPids.reduce((sum, pid) => sum + (systemTicks(pid) ?? 0), 0);
  const mainThread = serverPids.length === 1 ? serverPids[0]! : -1;
  const main0 = threadCpuTicks(mainThread, mainThread) ?? 0;
  const publishers0 = sumCpuTicks(publisherPids);
  const machine0 = machineCpu();
  const bytes0 = recordedBytes();
  let peakRssKb = 0;
  let rssTotal = 0;
  let samples = 0;
  for (let i = 1; i <= windowSeconds; i++) {
    await sleep(Math.max(0, startedMs + i * 1000 - performance.now()));
    const rss = sumRssKb(serverPids);
    peakRssKb = Math.max(peakRssKb, rss);
    rssTotal += rss;
    samples++;
  }
  const cpu1 = sumCpuTicks(serverPids);
  const sys1 = serverPids.reduce((sum, pid) => sum + (systemTicks(pid) ?? 0), 0);
  const main1 = threadCpuTicks(mainThread, mainThread) ?? 0;
  const publishers1 = sumCpuTicks(publisherPids);
  const machine1 = machineCpu();
  const seconds = (performance.now() - startedMs) / 1000;
  const hrEndUs = Number(process.hrtime.bigint() / 1000n);
  const deaths =
    serverPids.filter((pid) => cpuTicks(pid) === undefined).length +
    publishers.filter((p) => !p.alive).length;
  return {
    seconds,
    serverCpuS: (cpu1 - cpu0) / CLK_TCK,
    serverSystemS: (sys1 - sys0) / CLK_TCK,
    mainThreadCpuS: (main1 - main0) / CLK_TCK,
    peakRssKb,
    meanRssKb: samples > 0 ? rssTotal / samples : 0,
    publishersCpuS: (publishers1 - publishers0) / CLK_TCK,
    machineBusy: busyFraction(machine0, machine1),
    recordedBytes: recordedBytes() - bytes0,
    hrStartUs,
    hrEndUs,
    deaths,
  };
}

/** Idle phase before publishing: peak summed RSS (GC makes a single reading noisy) and CPU, over IDLE_MS. */
async function idle(pids: readonly number[]): Promise<{ rssKb: number; cores: number }> {
  const startedMs = performance.now();
  const ticks0 = sumCpuTicks(pids);
  let peak = 0;
  for (let i = 0; i < IDLE_MS / 500; i++) {
    await sleep(500);
    peak = Math.max(peak, sumRssKb(pids));
  }
  const cores = (sumCpuTicks(pids) - ticks0) / CLK_TCK / ((performance.now() - startedMs) / 1000);
  return { rssKb: peak, cores };
}

interface SideResult {
  window?: Window;
  /** RSS of the server side before anything is published (Spool: the process; baseline: N idle listeners). */
  idleRssKb: number;
  /** CPU of the server side in that idle phase, in cores. */
  idleCores: number;
  /** Spool: CPU spent from the end of the window until every file was finalized. */
  finalizeCpuS?: number;
  pssKb?: number;
  problems: string[];
  info: string[];
}

// ---- Spool ----

async function runSpool(n: number, media: string, tmp: string): Promise<SideResult> {
  const result: SideResult = { idleRssKb: 0, idleCores: 0, problems: [], info: [] };
  const dir = join(tmp, `spool-${n}`);
  const recordDir = join(dir, 'records');
  mkdirSync(dir, { recursive: true });
  const pluginsFile = join(tmp, 'plugins.json');
  const [rtmpPort, httpPort] = [await freePort(), await freePort()];
  const args = [
    '--plugins', pluginsFile,
    '--set', `http.port=${httpPort}`, '--set', 'http.host=127.0.0.1',
    '--set', `ingest-rtmp.port=${rtmpPort}`, '--set', 'ingest-rtmp.host=127.0.0.1',
    '--set', `recorder.recordDir=${recordDir}`,
    '--set', 'recorder.fileTemplate={streamName}',
    '--set', `dataDir=${join(dir, 'data')}`,
    '--set', 'log.level=warn',
  ]; // prettier-ignore
  const profiling = profileDir !== undefined;
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const profilesBefore = new Set(profiling ? readdirSync(profileDir!) : []);
  // Not SpoolProcess: node refuses --cpu-prof in NODE_OPTIONS, so the flag goes on the command line.
  const spool = new NodeChild([
    ...(profiling ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    SPOOL_BIN,
    'start',
    ...args,
  ]);
  const pid = spool.pid;
  const spoolDied = () =>
    spool.alive ? undefined : `Spool exited: ${spool.stderr.join('\n')} ${JSON.stringify(spool.lines)}`;
  let publishers: FfmpegChild[] = [];
  const metrics = async (): Promise<string> => {
    const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`, {
      signal: AbortSignal.timeout(5000),
    });
    return response.text();
  };
  const tmpFiles = () =>
    readdirSync(recordDir).filter((name) => name.startsWith('.spool-') && name.endsWith('.mp4'));
  const recordingBytes = () => tmpFiles().reduce((sum, name) => sum + fileSize(join(recordDir, name)), 0);
  try {
    await waitUntil(
      'Spool /health',
      async () => {
        try {
          return (await fetch(`http://127.0.0.1:${httpPort}/health`, { signal: AbortSignal.timeout(2000) }))
            .ok;
        } catch {
          return false;
        }
      },
      30_000,
      spoolDied,
      200,
    );
    ({ rssKb: result.idleRssKb, cores: result.idleCores } = await idle([pid]));

    const urls = Array.from({ length: n }, (_, k) => `rtmp://127.0.0.1:${rtmpPort}/live/s${k}?record=true`);
    publishers = await startPublishers(media, urls, windowSeconds + 300);
    const readyMs = await waitUntil(
      `${n} streams published and recording`,
      async () => {
        if (!existsSync(recordDir)) return false;
        const published = metricSum(await metrics(), 'spool_streams_published');
        const recording = tmpFiles().filter((name) => fileSize(join(recordDir, name)) >= READY_BYTES).length;
        return published === n && recording === n;
      },
      60_000 + n * 1000,
      () => spoolDied() ?? deadPublisher(publishers),
    );
    result.info.push(`all recording ${(readyMs / 1000).toFixed(1)} s after the last publisher started`);
    await sleep(SETTLE_MS);

    // Frames a recorder skips before its first keyframe count as dropped too: only drops in the window matter.
    const droppedBefore = metricSum(await metrics(), 'spool_bus_frames_dropped_total');
    const window = await measure([pid], publishers, recordingBytes);
    result.window = window;
    const after = await metrics();
    const dropped = metricSum(after, 'spool_bus_frames_dropped_total') - droppedBefore;
    const errors = metricSum(after, 'spool_plugin_errors_total');
    if (droppedBefore > 0) result.info.push(`${droppedBefore} frames skipped before the first keyframes`);
    if (dropped > 0) result.problems.push(`${dropped} frames dropped on the bus during the window`);
    if (errors > 0) result.problems.push(`${errors} plugin errors`);
    if (window.deaths > 0) result.problems.push(`${window.deaths} processes died during the window`);

    // Publishers leave: every recording is finalized into record_dir (moov-first, on the worker pool).
    const ticksBefore = cpuTicks(pid) ?? 0;
    await Promise.all(publishers.map((p) => p.stop('SIGTERM', 10_000)));
    const expected = Array.from({ length: n }, (_, k) => `s${k}.mp4`);
    await waitUntil(
      `${n} finalized recordings`,
      () => tmpFiles().length === 0 && expected.every((name) => existsSync(join(recordDir, name))),
      60_000 + n * 2000,
      spoolDied,
    );
    result.finalizeCpuS = ((cpuTicks(pid) ?? ticksBefore) - ticksBefore) / CLK_TCK;
    const empty = expected.filter((name) => fileSize(join(recordDir, name)) === 0);
    if (empty.length > 0) result.problems.push(`empty recordings: ${empty.join(', ')}`);
    const first = join(recordDir, 's0.mp4');
    result.info.push(`s0.mp4 ${Number((await ffprobe(first)).format.duration).toFixed(1)} s`);
    if (n === 1) {
      const errorsPrinted = await decodeErrors(first);
      if (errorsPrinted !== '')
        result.problems.push(`s0.mp4 does not decode cleanly: ${errorsPrinted.slice(0, 300)}`);
      else result.info.push('s0.mp4 decodes cleanly');
    }
  } catch (error) {
    result.problems.push(`failed: ${(error as Error).message.slice(0, 600)}`);
  } finally {
    await Promise.all(publishers.map((p) => p.stop('SIGKILL', 1000)));
    spool.kill('SIGTERM');
    const timer = setTimeout(() => spool.kill('SIGKILL'), 60_000);
    await spool.exited;
    clearTimeout(timer);
    const warnings = spool.lines.filter((line) => Number(line.level) >= 40);
    if (warnings.length > 0) {
      result.problems.push(`${warnings.length} warning/error log lines`);
      for (const line of warnings.slice(0, 5))
        console.error(`  spool: ${JSON.stringify(line).slice(0, 300)}`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  if (profiling && result.window !== undefined) {
    const profiles = readdirSync(profileDir!).filter(
      (f) => f.endsWith('.cpuprofile') && !profilesBefore.has(f),
    );
    for (const file of profiles) printProfile(join(profileDir!, file), result.window, n);
  }
  return result;
}

// ---- baseline: one ffmpeg per stream, as RTMP server and recorder ----

async function runBaseline(n: number, media: string, tmp: string): Promise<SideResult> {
  const result: SideResult = { idleRssKb: 0, idleCores: 0, problems: [], info: [] };
  const dir = join(tmp, `baseline-${n}`);
  mkdirSync(dir, { recursive: true });
  const ports = new Set<number>();
  for (let attempt = 0; ports.size < n && attempt < n * 10; attempt++) ports.add(await freePort());
  const portList = [...ports];
  if (portList.length < n) throw new Error(`found only ${portList.length} free ports`);
  const outputs = portList.map((_, k) => join(dir, `out_${k}.mp4`));
  const listeners = portList.map(
    (port, k) =>
      new FfmpegChild([
        '-listen', '1', '-timeout', '120', '-i', `rtmp://127.0.0.1:${port}/live/s${k}`,
        '-c', 'copy', '-f', 'mp4', outputs[k]!,
      ]), // prettier-ignore
  );
  let publishers: FfmpegChild[] = [];
  const pids = listeners.map((l) => l.pid);
  const listenerDied = () => {
    const dead = listeners.findIndex((l) => !l.alive);
    return dead < 0 ? undefined : `listener ${dead} exited: ${listeners[dead]!.stderr.trim().slice(-400)}`;
  };
  try {
    await waitUntil(
      `${n} ffmpeg listeners`,
      () => {
        const listening = listeningTcpPorts();
        return portList.every((port) => listening.has(port));
      },
      30_000,
      listenerDied,
      200,
    );
    ({ rssKb: result.idleRssKb, cores: result.idleCores } = await idle(pids));
    const urls = portList.map((port, k) => `rtmp://127.0.0.1:${port}/live/s${k}`);
    publishers = await startPublishers(media, urls, windowSeconds + 300);
    const readyMs = await waitUntil(
      `${n} baseline recordings`,
      () => outputs.every((out) => fileSize(out) >= READY_BYTES),
      60_000 + n * 1000,
      () => listenerDied() ?? deadPublisher(publishers),
    );
    result.info.push(`all recording ${(readyMs / 1000).toFixed(1)} s after the last publisher started`);
    await sleep(SETTLE_MS);
    const window = await measure(pids, publishers, () =>
      outputs.reduce((sum, out) => sum + fileSize(out), 0),
    );
    result.window = window;
    result.pssKb = pids.reduce((sum, pid) => sum + (pssKb(pid) ?? 0), 0);
    if (window.deaths > 0) result.problems.push(`${window.deaths} processes died during the window`);
    // Publishers leave: each ffmpeg sees the end of its input, writes its moov and exits.
    await Promise.all(publishers.map((p) => p.stop('SIGTERM', 10_000)));
    try {
      await waitUntil('baseline ffmpegs to finish', () => listeners.every((l) => !l.alive), 20_000 + n * 200);
    } catch {
      const stuck = listeners.filter((l) => l.alive).length;
      result.problems.push(`${stuck} ffmpeg listeners did not exit at the end of their input (sent SIGINT)`);
      await Promise.all(listeners.map((l) => l.stop('SIGINT', 10_000)));
    }
    const empty = outputs.filter((out) => fileSize(out) === 0).map((out) => basename(out));
    if (empty.length > 0) result.problems.push(`empty recordings: ${empty.join(', ')}`);
    result.info.push(`out_0.mp4 ${Number((await ffprobe(outputs[0]!)).format.duration).toFixed(1)} s`);
  } catch (error) {
    result.problems.push(`failed: ${(error as Error).message.slice(0, 600)}`);
  } finally {
    await Promise.all(publishers.map((p) => p.stop('SIGKILL', 1000)));
    await Promise.all(listeners.map((l) => l.stop('SIGKILL', 1000)));
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

// ---- CPU profile summary ----

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function where(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  const dist = path.lastIndexOf('/dist/');
  if (dist >= 0) return path.slice(dist + '/dist/'.length);
  return path;
}

/** Where a function lives, coarsely: an npm package, a Spool directory, node internals, or V8's own entries. */
function packageOf(frame: ProfileNode['callFrame']): string {
  if (frame.url === '') return frame.functionName; // (garbage collector), (program), native code
  if (frame.url.startsWith('node:')) return 'node: internals';
  const path = frame.url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + 'node_modules/'.length).split('/');
    return parts.slice(0, parts[0]?.startsWith('@') ? 2 : 1).join('/');
  }
  return where(frame.url).split('/').slice(0, 2).join('/');
}

/** Top self-time functions (and packages) of one profile, cut to the measurement window. */
function printProfile(file: string, window: Window, n: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  let t = profile.startTime;
  let inWindow = 0;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    if (t < window.hrStartUs || t > window.hrEndUs) return;
    self.set(id, (self.get(id) ?? 0) + 1);
    inWindow++;
  });
  let scope = 'the measurement window';
  if (inWindow === 0) {
    // A worker thread started after the window (finalization): its whole life.
    for (const id of profile.samples) self.set(id, (self.get(id) ?? 0) + 1);
    inWindow = profile.samples.length;
    scope = 'whole thread life, none of it in the window';
  }
  const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let idle = 0;
  for (const [id, hits] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idle += hits;
      continue;
    }
    const location = frame.url === '' ? '' : `${where(frame.url)}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName || '(anonymous)'} | ${location}`;
    functions.set(key, (functions.get(key) ?? 0) + hits);
    packages.set(packageOf(frame), (packages.get(packageOf(frame)) ?? 0) + hits);
  }
  const busy = inWindow - idle;
  if (busy <= 0) return;
  const pct = (hits: number) => ((100 * hits) / busy).toFixed(1);
  console.log(`\n#### CPU profile ${basename(file)} (N = ${n}, ${scope})\n`);
  console.log(
    `${busy} busy samples (~${((busy * msPerSample) / 1000).toFixed(1)} s on this thread), ${idle} idle\n`,
  );
  console.log('| self % | function | location |\n|---|---|---|');
  for (const [key, hits] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    const [name, location] = key.split(' | ');
    console.log(`| ${pct(hits)} | ${name} | ${location} |`);
  }
  console.log('\n| self % | package / directory |\n|---|---|');
  for (const [pkg, hits] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`| ${pct(hits)} | ${pkg} |`);
  }
}

// ---- main ----

async function prepareMedia(path: string): Promise<void> {
  await ffmpeg([
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100,aformat=channel_layouts=stereo',
    '-t', String(MEDIA_SECONDS),
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-bf', '0', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0',
    '-b:v', '1400k', '-maxrate', '1400k', '-bufsize', '1400k',
    '-c:a', 'aac', '-b:a', '128k', '-ar', '44100', '-ac', '2',
    '-f', 'flv', path,
  ], 600_000); // prettier-ignore
}

const mib = (kb: number) => (kb / MiB).toFixed(1).replace(/^-0\.0$/, '0.0');
const cores = (w: Window | undefined, cpuS: number | undefined) =>
  w === undefined || cpuS === undefined ? '-' : (cpuS / w.seconds).toFixed(2);
const perStreamMinute = (w: Window | undefined, n: number) =>
  w === undefined ? '-' : (w.serverCpuS / (n * (w.seconds / 60))).toFixed(3);
const mbps = (w: Window | undefined, n: number) =>
  w === undefined ? '-' : ((w.recordedBytes * 8) / w.seconds / n / 1e6).toFixed(2);

/** Cores busy with anything but the server and the publishers (this script, the kernel, other processes). */
const otherCores = (w: Window) =>
  Math.max(0, w.machineBusy * cpus().length - (w.serverCpuS + w.publishersCpuS) / w.seconds);

async function main(): Promise<void> {
  if (!(windowSeconds > 0 && windowSeconds <= 3600))
    throw new Error(`BENCH_SECONDS must be in (0, 3600], got ${process.env.BENCH_SECONDS}`);
  if (counts.some((n) => !(Number.isInteger(n) && n > 0 && n <= 500)))
    throw new Error(`BENCH_N must be integers in 1..500, got ${process.env.BENCH_N}`);
  const tmp = new TempDir('spool-bench-rtmp-');
  const rows: string[][] = [];
  const details: string[][] = [];
  let failed = false;
  try {
    const media = join(tmp.path, 'prepared.flv');
    console.error(`rtmp-recording bench: preparing ${MEDIA_SECONDS} s of H.264 + AAC ...`);
    await prepareMedia(media);
    const probe = await ffprobe(media);
    const mediaMbps = (Number(fileSize(media)) * 8) / Number(probe.format.duration) / 1e6;
    tmp.json('plugins.json', {
      plugins: ['ingest-rtmp', 'recorder', 'writer-mp4'].map((name) => ({ name, enabled: true })),
    });
    for (const n of counts) {
      let spool: SideResult | undefined;
      let baseline: SideResult | undefined;
      if (sides.has('spool')) {
        console.error(`rtmp-recording bench: N = ${n}, Spool, ${windowSeconds} s window ...`);
        spool = await runSpool(n, media, tmp.path);
      }
      if (sides.has('baseline')) {
        console.error(`rtmp-recording bench: N = ${n}, ffmpeg per stream, ${windowSeconds} s window ...`);
        baseline = await runBaseline(n, media, tmp.path);
      }
      const sw = spool?.window;
      const bw = baseline?.window;
      const notes: string[] = [];
      if (sw)
        notes.push(
          `Spool ${cores(sw, sw.serverCpuS)} cores, peak RSS ${mib(sw.peakRssKb)} MB (idle ${mib(spool!.idleRssKb)})`,
        );
      if (bw)
        notes.push(
          `baseline ${cores(bw, bw.serverCpuS)} cores, PSS ${mib((baseline!.pssKb ?? 0) / n)} MB/stream`,
        );
      const busiest = Math.max(sw?.machineBusy ?? 0, bw?.machineBusy ?? 0);
      if (busiest >= 0.9)
        notes.push(`machine saturated (${(busiest * 100).toFixed(0)}% of ${cpus().length} cores busy)`);
      const pubCores = [sw, bw].filter((w) => w !== undefined).map((w) => cores(w, w.publishersCpuS));
      if (pubCores.length > 0) notes.push(`publishers used ${pubCores.join(' / ')} cores`);
      for (const [label, side] of [
        ['Spool', spool],
        ['baseline', baseline],
      ] as const) {
        if (side && side.problems.length > 0) {
          failed = true;
          notes.push(`${label}: ${side.problems.join('; ')}`);
        }
      }
      rows.push([
        String(n),
        perStreamMinute(sw, n),
        perStreamMinute(bw, n),
        sw ? mib((sw.peakRssKb - spool!.idleRssKb) / n) : '-',
        bw ? mib(bw.peakRssKb / n) : '-',
        notes.join('; '),
      ]);
      for (const [label, side] of [
        ['Spool', spool],
        ['ffmpeg per stream', baseline],
      ] as const) {
        if (side === undefined) continue;
        const w = side.window;
        details.push([
          String(n),
          label,
          w ? w.seconds.toFixed(1) : '-',
          w ? w.serverCpuS.toFixed(2) : '-',
          w ? `${((100 * w.serverSystemS) / Math.max(w.serverCpuS, 0.01)).toFixed(0)}%` : '-',
          w && label === 'Spool' ? w.mainThreadCpuS.toFixed(2) : '-',
          cores(w, w?.serverCpuS),
          side.idleCores.toFixed(3),
          mib(side.idleRssKb),
          w ? mib(w.peakRssKb) : '-',
          w ? mib(w.meanRssKb) : '-',
          side.pssKb === undefined ? '-' : mib(side.pssKb),
          mbps(w, n),
          cores(w, w?.publishersCpuS),
          w ? `${(w.machineBusy * 100).toFixed(0)}%` : '-',
          w ? otherCores(w).toFixed(2) : '-',
          side.finalizeCpuS === undefined ? '-' : side.finalizeCpuS.toFixed(2),
          [...side.info, ...side.problems].join('; '),
        ]);
      }
    }

    console.log(
      `\n### RTMP recording: N publishers of ~${mediaMbps.toFixed(2)} Mbps H.264 + AAC, ${windowSeconds} s window\n`,
    );
    console.log(`- date: ${new Date().toISOString()}`);
    console.log(`- nproc: ${cpus().length}; CPU: ${cpuModel()}; node ${process.version}; CLK_TCK ${CLK_TCK}`);
    console.log(
      '- prepared media: 1280x720 30 fps H.264 High (~1.4 Mbps, GOP 1 s, no B-frames) + AAC-LC 44.1 kHz stereo 128 kb/s, FLV',
    );
    if (profileDir)
      console.log(
        `- Spool ran under node --cpu-prof (profiles in ${profileDir}): figures include the profiler`,
      );
    console.log('- MB = 2^20 bytes; CPU s per stream-minute = server CPU s / (N x window minutes)\n');
    const header = [
      'N',
      'Spool CPU s per stream-minute',
      'baseline CPU s per stream-minute',
      'Spool RSS MB per stream (above idle)',
      'baseline RSS MB per stream',
      'notes',
    ];
    console.log(`| ${header.join(' | ')} |`);
    console.log(`|${header.map(() => '---').join('|')}|`);
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
    console.log('\nDetails (server side; publishers measured separately):\n');
    const detailHeader = [
      'N',
      'server',
      'window s',
      'CPU s',
      'of which kernel',
      'main thread CPU s',
      'cores',
      'idle cores',
      'idle RSS MB',
      'peak RSS MB',
      'mean RSS MB',
      'PSS MB',
      'recorded Mbps/stream',
      'publishers cores',
      'machine busy',
      'other cores',
      'finalize CPU s',
      'notes',
    ];
    console.log(`| ${detailHeader.join(' | ')} |`);
    console.log(`|${detailHeader.map(() => '---').join('|')}|`);
    for (const row of details) console.log(`| ${row.join(' | ')} |`);
    console.log('');
  } finally {
    tmp.cleanup();
  }
  if (failed) process.exitCode = 1;
}

await main();
