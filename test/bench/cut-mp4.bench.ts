/**
 * Benchmark: a 30 s cut from the middle of a 1-hour H.264 + AAC MP4, requested over HTTP
 * (GET /client/records/hour.mp4?start=1800&end=1830) with no cached cut: time to first byte, to the
 * last byte, and CPU time, on a cold worker thread (first cut of a fresh Spool) and on a warm one.
 * Then the cut alone, called on a worker thread of its own (no HTTP), by the native cutter and by the
 * mediabunny Conversion it replaced (still the fallback for MP4s the native one declines).
 * Baseline: `ffmpeg -ss -t -c copy -movflags +faststart` on the same file.
 * The 1-hour file (320x180, ultrafast) is made once and kept in the OS temp dir.
 *
 *   npm run bench -- cut-mp4
 *   BENCH_REPEATS=15 BENCH_COLD_REPEATS=5 node dist/test/bench/cut-mp4.bench.js
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { Worker } from 'node:worker_threads';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '../../core/index.js';
import { LogCapture } from '../helpers/log.js';
import { FFMPEG, ffmpeg, ffprobe } from '../helpers/media-tools.js';
import { busyFraction, cpuModel, machineCpu } from '../helpers/proc-stats.js';
import { TempDir } from '../helpers/tmp.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 9);
const COLD_REPEATS = Number(process.env.BENCH_COLD_REPEATS ?? 3);
const START_S = 1800;
const LENGTH_S = 30;
const CACHE_DIR = join(tmpdir(), 'spool-bench-cache');
const HOUR_FILE = join(CACHE_DIR, 'hour-320x180-h264-aac.mp4');

/** The 1-hour test file, made by ffmpeg the first time (about 1.5 min on 2 cores). */
async function hourFile(): Promise<string> {
  if (existsSync(HOUR_FILE)) return HOUR_FILE;
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${HOUR_FILE}.${process.pid}.part.mp4`;
  console.log(`making ${HOUR_FILE} (1 hour, 320x180) ...`);
  await ffmpeg(
    [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100,aformat=channel_layouts=stereo'],
      ...['-t', '3600', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
      ...['-g', '30', '-keyint_min', '30', '-sc_threshold', '0'],
      ...['-c:a', 'aac', '-b:a', '64k', '-ar', '44100', '-ac', '2', '-movflags', '+faststart', partial],
    ],
    15 * 60_000,
  );
  renameSync(partial, HOUR_FILE);
  return HOUR_FILE;
}

interface Timing {
  ttfbMs: number;
  totalMs: number;
  /** CPU time of this process (all threads: the HTTP loop and the cut's worker) during the request. */
  cpuMs: number;
  bytes: number;
  status: number;
}

function timedGet(url: string): Promise<Timing> {
  const startedMs = performance.now();
  const cpuBefore = process.cpuUsage();
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      const ttfbMs = performance.now() - startedMs;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => {
        const cpu = process.cpuUsage(cpuBefore);
        const cpuMs = (cpu.user + cpu.system) / 1000;
        resolve({
          ttfbMs,
          totalMs: performance.now() - startedMs,
          cpuMs,
          bytes,
          status: res.statusCode ?? 0,
        });
      });
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

function timedFfmpeg(input: string, output: string): Promise<number> {
  const args = ['-v', 'error', '-y', '-ss', String(START_S), '-i', input, '-t', String(LENGTH_S)];
  const startedMs = performance.now();
  const child = spawn(FFMPEG, [...args, '-c', 'copy', '-movflags', '+faststart', output], {
    stdio: 'ignore',
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(performance.now() - startedMs) : reject(new Error(`ffmpeg exit ${code}`)),
    );
  });
}

/** A worker thread that imports `exportName` of the compiled module `file` and runs it on each message. */
const CUT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
let cut;
parentPort.on('message', async (args) => {
  cut ??= (await import(workerData.url))[workerData.exportName];
  await cut(...args);
  parentPort.postMessage('done');
});`;

interface CallTiming {
  wallMs: number;
  /** CPU time of this process (all threads) during the call: the worker's, as the main thread waits. */
  cpuMs: number;
}

/**
 * Cuts on one new worker thread: the first call (starting the thread, loading the module, cutting) and
 * `warmRepeats` more calls on the same thread.
 */
async function workerCuts(
  file: string,
  exportName: string,
  args: unknown[],
  warmRepeats: number,
): Promise<{ cold: CallTiming; warm: CallTiming[] }> {
  const url = new URL(file, import.meta.url).href;
  const timed = async (run: () => Promise<unknown>): Promise<CallTiming> => {
    const startedMs = performance.now();
    const cpuBefore = process.cpuUsage();
    await run();
    const cpu = process.cpuUsage(cpuBefore);
    return { wallMs: performance.now() - startedMs, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
  let worker: Worker | undefined;
  const call = () => {
    worker ??= new Worker(CUT_WORKER, { eval: true, workerData: { url, exportName } });
    const done = new Promise((resolve, reject) => {
      worker?.once('message', resolve);
      worker?.once('error', reject);
    });
    worker.postMessage(args);
    return done;
  };
  try {
    const cold = await timed(call);
    const warm: CallTiming[] = [];
    for (let i = 0; i < warmRepeats; i++) warm.push(await timed(call));
    return { cold, warm };
  } finally {
    await worker?.terminate();
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (value: number): string => value.toFixed(0);

const NAME = 'hour-320x180-h264-aac';

/** A Spool serving the cache dir (records-http alone: cuts on its own pool), cuts into `cutDir`. */
async function startSpool(tmp: TempDir, cutDir: string) {
  const pluginsFile = tmp.json('plugins.json', { plugins: [{ name: 'records-http', enabled: true }] });
  const spool = await Spool.create({
    pluginsFile,
    sets: [
      ...['http.port=0', 'http.host=127.0.0.1'],
      ...[`records-http.recordDir=${CACHE_DIR}`, `records-http.mp4CutterDir=${cutDir}`],
    ],
    env: {},
    logDestination: new LogCapture(),
  });
  await spool.start();
  const query = `start=${START_S}&end=${START_S + LENGTH_S}`;
  return { spool, url: `http://127.0.0.1:${spool.httpPort}/client/records/${NAME}.mp4?${query}` };
}

/** One request with no cached cut (the cut file is removed first). */
async function uncachedCut(url: string, cutPath: string): Promise<Timing> {
  rmSync(cutPath, { force: true });
  const timing = await timedGet(url);
  if (timing.status !== 200) throw new Error(`HTTP ${timing.status}`);
  return timing;
}

/** A cell: median (min-max) of `values`. */
function spread(values: readonly number[]): string {
  return `${ms(median(values))} (${ms(Math.min(...values))}-${ms(Math.max(...values))})`;
}
const row = (label: string, ...cells: string[]) => console.log(`| ${label} | ${cells.join(' | ')} |`);

/** The cut alone on worker threads: COLD_REPEATS new threads, then REPEATS calls on the last one. */
async function directCuts(file: string, exportName: string, source: string, target: string) {
  const cold: CallTiming[] = [];
  let warm: CallTiming[] = [];
  const options = { startS: START_S, endS: START_S + LENGTH_S };
  for (let i = 0; i < COLD_REPEATS; i++) {
    const timings = await workerCuts(
      file,
      exportName,
      [source, target, options],
      i === COLD_REPEATS - 1 ? REPEATS : 0,
    );
    cold.push(timings.cold);
    warm = timings.warm;
  }
  return { cold, warm };
}

async function main(): Promise<void> {
  const source = await hourFile();
  const tmp = new TempDir('spool-bench-cut-');
  const cutDir = join(tmp.path, 'cuts');
  const cutPath = join(cutDir, `${NAME}-s${START_S}-e${START_S + LENGTH_S}.mp4`);
  const loadBefore = loadavg()[0]!;
  const cpuBefore = machineCpu();
  const cold: Timing[] = [];
  const warm: Timing[] = [];
  const ffmpegMs: number[] = [];
  try {
    // Cold: the first cut of a fresh Spool runs on a new worker thread (the cutter not yet loaded nor
    // compiled), as after a restart or once an idle pool thread has exited.
    for (let i = 0; i < COLD_REPEATS; i++) {
      const { spool, url } = await startSpool(tmp, cutDir);
      cold.push(await uncachedCut(url, cutPath));
      await spool.stop();
    }
    const { spool, url } = await startSpool(tmp, cutDir);
    let cached: Timing;
    try {
      await uncachedCut(url, cutPath); // the thread's first cut: not counted as warm
      for (let i = 0; i < REPEATS; i++) {
        warm.push(await uncachedCut(url, cutPath));
        ffmpegMs.push(await timedFfmpeg(source, join(tmp.path, 'ffmpeg-cut.mp4')));
      }
      cached = await timedGet(url);
    } finally {
      await spool.stop();
    }
    const directTarget = join(tmp.path, 'direct-cut.mp4');
    const native = await directCuts('../../plugins/records-http/cut-mp4.js', 'cutMp4', source, directTarget);
    const mediabunny = await directCuts(
      '../../plugins/records-http/mp4-cut/mediabunny-cut.js',
      'mediabunnyCut',
      source,
      directTarget,
    );

    const busy = busyFraction(cpuBefore, machineCpu());
    const cutDuration = Number((await ffprobe(cutPath)).format.duration);
    const sourceMiB = Math.round(Number((await ffprobe(source)).format.size) / 2 ** 20);
    console.log(`\n### ${LENGTH_S} s cut from the middle of a 1-hour MP4\n`);
    console.log(
      `${new Date().toISOString().slice(0, 10)}, ${cpuModel()} x ${cpus().length}, Node ${process.version}; ` +
        `load average ${loadBefore.toFixed(2)} at start, machine ${Math.round(busy * 100)} % busy during the run. ` +
        `Source ${source} (${sourceMiB} MiB); cut ${Math.round(cached.bytes / 1024)} KiB, ${cutDuration.toFixed(2)} s.\n`,
    );
    const stats = (timings: Timing[]) => [
      spread(timings.map((t) => t.ttfbMs)),
      spread(timings.map((t) => t.totalMs)),
      spread(timings.map((t) => t.cpuMs)),
    ];
    row('over HTTP: median (min-max)', 'time to first byte ms', 'total ms', 'CPU ms');
    row('---', '---', '---', '---');
    row(`no cached cut, cold worker thread (${COLD_REPEATS} fresh starts)`, ...stats(cold));
    row(`no cached cut, warm worker thread (${REPEATS} repeats)`, ...stats(warm));
    row('cached cut (served from mp4_cutter_dir)', ms(cached.ttfbMs), ms(cached.totalMs), ms(cached.cpuMs));
    row(`baseline: ffmpeg -ss -t -c copy +faststart (${REPEATS})`, '-', spread(ffmpegMs), '-');
    console.log('');
    row('the cut alone, on a worker thread: median (min-max)', 'wall ms', 'CPU ms');
    row('---', '---', '---');
    for (const [name, runs] of [
      ['native cutter', native],
      ['mediabunny Conversion (before; now the fallback)', mediabunny],
    ] as const) {
      const cells = (timings: CallTiming[]) => [
        spread(timings.map((t) => t.wallMs)),
        spread(timings.map((t) => t.cpuMs)),
      ];
      row(`${name}, new thread: start, load, first cut (${COLD_REPEATS})`, ...cells(runs.cold));
      row(`${name}, warm thread (${REPEATS})`, ...cells(runs.warm));
    }
    console.log('');
  } finally {
    tmp.cleanup();
  }
}

await main();
