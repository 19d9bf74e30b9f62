/**
 * Benchmark (issue 5): event-loop delay of one Spool process recording BENCH_STREAMS live streams while a
 * BENCH_MINUTES-long recording is finalized. Finalizing runs on the recorder's worker pool (FileWorkToken),
 * so the ingest event loop should not notice it: target p99 < 20 ms.
 *
 * A 1280x720 H.264 (B-frames) + AAC clip is made once. A fragmented MP4 of BENCH_MINUTES is written from it
 * in a child process (FragmentedMp4Writer, as a live recording writes it). A Spool runs in this process with
 * recorder + writer-mp4; BENCH_STREAMS publishers put the clip on its bus in real time with record=true
 * (start times spread over one GOP), so writer-mp4 records them all here. Windows, each measured with
 * perf_hooks.monitorEventLoopDelay({ resolution: 10 }):
 *   idle  Spool started, nothing published
 *   (a)   the streams recording, nothing finalized (BENCH_BASELINE_SECONDS, default 20)
 *   (b)   BENCH_REPEATS (3) finalizations of the long recording back to back, each the task a stopping
 *         recording gives the recorder's pool (the writer's finalizer); the first starts the worker thread
 *   (c)   the same finalizations awaited on the main thread instead (what the pool protects against)
 *   (d)   control: the same file I/O done by another process (dd bs=4M conv=fsync), no Spool code at all
 * Prints two markdown tables: the delays, and where the stalls over 20 ms came from (main-thread schedstat,
 * GC pauses, the machine's load and /proc/pressure). Delays include the 10 ms sampling interval: an idle
 * loop reads about 10.1 ms. Linux only (/proc).
 *
 *   npm run build && node scripts/run-bench.mjs event-loop
 *   BENCH_STREAMS=5 BENCH_MINUTES=10 BENCH_REPEATS=1 node dist/test/bench/event-loop.bench.js
 *   node --cpu-prof --cpu-prof-dir=./prof dist/test/bench/event-loop.bench.js
 *     (stderr stamps each window in µs of the clock a .cpuprofile's startTime uses)
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import {
  constants as perfConstants,
  monitorEventLoopDelay,
  PerformanceObserver,
  type IntervalHistogram,
  type PerformanceEntry,
} from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { finalizeFragmentedMp4, type FinalizeOptions, type FinalizeResult } from '../../lib/mp4/finalize.js';
import { FileWorkToken, RecorderServiceToken, WriterRegistryToken } from '../../plugins/recorder/api.js';
import { publishFile, type FilePublisher } from '../helpers/file-publisher.js';
import { makeClip, readMediaFile } from '../helpers/media-file.js';
import { ffprobe } from '../helpers/media-tools.js';
import { busyFraction, cpuModel, machineCpu } from '../helpers/proc-stats.js';
import { startSpool, type InProcessSpool } from '../helpers/spool-in-process.js';
import { TempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!(value > 0)) throw new Error(`${name} must be a positive number, got ${process.env[name]}`);
  return value;
}

const STREAMS = envNumber('BENCH_STREAMS', 20);
const MINUTES = envNumber('BENCH_MINUTES', 60);
const REPEATS = envNumber('BENCH_REPEATS', 3);
const BASELINE_S = envNumber('BENCH_BASELINE_SECONDS', 20);
const RESOLUTION_MS = 10;
/** An interval of the 10 ms timer longer than this (a delay sample above it) is a stall (the p99 target). */
const STALL_MS = 20;
const IDLE_MS = 3000;
/** Pause before each window, so the tail of one is not in the next. */
const SETTLE_MS = 3000;
const GOP_MS = 1000;
const WRITER_CHILD = join(import.meta.dirname, '..', 'fixtures', 'fmp4-writer-child.js');
const run = promisify(execFile);

/** On stderr, stamped in µs of the monotonic clock a .cpuprofile's startTime and timeDeltas use. */
function progress(message: string): void {
  console.error(`event-loop bench [${process.hrtime.bigint() / 1000n}]: ${message}`);
}

// ---- what the main thread and the machine do ----

/** /proc/PID/task/PID/schedstat of the main thread: time on a core, time runnable but waiting for one. */
function mainThreadSchedule(): { onCpuMs: number; waitingMs: number } {
  const [onCpu, waiting] = readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'utf8')
    .split(' ')
    .map(Number);
  return { onCpuMs: (onCpu ?? 0) / 1e6, waitingMs: (waiting ?? 0) / 1e6 };
}

/** Total µs during which some task waited for a core / for I/O (/proc/pressure, PSI), when the kernel has it. */
function pressureUs(): { cpu: number; io: number } | undefined {
  const some = (resource: string): number =>
    Number(/^some .*total=(\d+)/m.exec(readFileSync(`/proc/pressure/${resource}`, 'utf8'))?.[1] ?? 0);
  return existsSync('/proc/pressure/cpu') ? { cpu: some('cpu'), io: some('io') } : undefined;
}

interface Stalls {
  count: number;
  /** Their time beyond the 10 ms period, split by what the main thread did meanwhile. */
  excessMs: number;
  runningMs: number;
  waitingMs: number;
  blockedMs: number;
}

/**
 * A second 10 ms timer beside monitorEventLoopDelay. Each interval longer than STALL_MS is split by the
 * main thread's schedstat: running (Spool's own JS and GC held the loop), runnable but waiting for a core
 * (other threads or processes had them), and the rest less the 10 ms the loop ordinarily sleeps: blocked or
 * asleep in the kernel (I/O, a lock, a late timer wake-up). schedstat's running time lags by up to a
 * scheduler tick (4 ms at HZ=250) per reading.
 */
class StallSampler {
  readonly stalls: Stalls = { count: 0, excessMs: 0, runningMs: 0, waitingMs: 0, blockedMs: 0 };
  private timer: NodeJS.Timeout | undefined;
  private lastMs = performance.now();
  private last = mainThreadSchedule();

  start(): void {
    this.timer = setTimeout(() => this.tick(), RESOLUTION_MS);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private tick(): void {
    const nowMs = performance.now();
    const now = mainThreadSchedule();
    const intervalMs = nowMs - this.lastMs;
    if (intervalMs > STALL_MS) {
      const runningMs = Math.min(intervalMs, now.onCpuMs - this.last.onCpuMs);
      const waitingMs = Math.min(intervalMs - runningMs, now.waitingMs - this.last.waitingMs);
      this.stalls.count++;
      this.stalls.excessMs += intervalMs - RESOLUTION_MS;
      this.stalls.runningMs += runningMs;
      this.stalls.waitingMs += waitingMs;
      this.stalls.blockedMs += Math.max(0, intervalMs - runningMs - waitingMs - RESOLUTION_MS);
    }
    this.lastMs = nowMs;
    this.last = now;
    this.start();
  }
}

interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
  longestKind: string;
}

/** Garbage-collection pauses of the main thread's heap, from 'gc' performance entries. */
function observeGc(): { pauses: GcPauses; stop: () => void } {
  const pauses: GcPauses = { count: 0, totalMs: 0, maxMs: 0, longestKind: '' };
  const add = (entries: readonly PerformanceEntry[]): void => {
    for (const entry of entries) {
      pauses.count++;
      pauses.totalMs += entry.duration;
      if (entry.duration <= pauses.maxMs) continue;
      pauses.maxMs = entry.duration;
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      pauses.longestKind =
        kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR
          ? 'mark-compact'
          : kind === perfConstants.NODE_PERFORMANCE_GC_MINOR
            ? 'scavenge'
            : kind === perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL
              ? 'incremental marking'
              : 'weak callbacks';
    }
  };
  const observer = new PerformanceObserver((list) => add(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    pauses,
    stop: () => {
      add(observer.takeRecords());
      observer.disconnect();
    },
  };
}

// ---- windows ----

interface WindowResult {
  label: string;
  wallMs: number;
  delay: IntervalHistogram;
  cpuMs: number;
  mainCpuMs: number;
  stalls: Stalls;
  gc: GcPauses;
  machineBusy: number;
  /** Fractions of the window with some task waiting for a core / for I/O, machine-wide. */
  pressure: { cpu: number; io: number } | undefined;
  droppedFrames: number;
}

async function droppedFrames(spool: InProcessSpool): Promise<number> {
  const metric = await spool.spool.metrics.framesDropped.get();
  return metric.values.reduce((sum, sample) => sum + sample.value, 0);
}

/** Measures event-loop delay, CPU and load over one window around `work`. */
async function measure<T>(
  spool: InProcessSpool,
  label: string,
  work: () => Promise<T>,
): Promise<WindowResult & { value: T }> {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const sampler = new StallSampler();
  const dropped0 = await droppedFrames(spool);
  const machine0 = machineCpu();
  const pressure0 = pressureUs();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadSchedule();
  const gc = observeGc();
  progress(`window "${label}" starts`);
  const startedMs = performance.now();
  delay.enable();
  sampler.start();
  const value = await work();
  sampler.stop();
  delay.disable();
  const wallMs = performance.now() - startedMs;
  progress(`window "${label}" ends`);
  gc.stop();
  const cpu = process.cpuUsage(cpu0);
  const main1 = mainThreadSchedule();
  const pressure1 = pressureUs();
  const machineBusy = busyFraction(machine0, machineCpu());
  const fraction = (us: number): number => us / 1000 / wallMs;
  return {
    label,
    wallMs,
    delay,
    cpuMs: (cpu.user + cpu.system) / 1000,
    mainCpuMs: main1.onCpuMs - main0.onCpuMs,
    stalls: sampler.stalls,
    gc: gc.pauses,
    machineBusy,
    pressure:
      pressure0 && pressure1
        ? { cpu: fraction(pressure1.cpu - pressure0.cpu), io: fraction(pressure1.io - pressure0.io) }
        : undefined,
    droppedFrames: (await droppedFrames(spool)) - dropped0,
    value,
  };
}

interface Run {
  wallMs: number;
  delay: IntervalHistogram;
  result: FinalizeResult | undefined;
}

/**
 * One window: REPEATS runs one after another, each writing its own copy of the long recording (deleting a
 * large file is not part of finalizing); each run's own delays are kept too.
 */
function runsWindow(
  spool: InProcessSpool,
  label: string,
  outputs: readonly string[],
  runOne: (output: string) => Promise<FinalizeResult | undefined>,
): Promise<WindowResult & { value: Run[] }> {
  return measure(spool, label, async () => {
    const runs: Run[] = [];
    for (const output of outputs) {
      const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      const startedMs = performance.now();
      delay.enable();
      const result = await runOne(output);
      delay.disable();
      runs.push({ wallMs: performance.now() - startedMs, delay, result });
    }
    return runs;
  });
}

/**
 * The control: the finalizer's file I/O without its code. `dd bs=4M conv=fsync` copies the long recording
 * REPEATS times (reading and writing as much, through a 4 MiB buffer, fsync at the end) in a shell started
 * before the window, so not even the fork is in it.
 */
async function ioControlWindow(
  spool: InProcessSpool,
  input: string,
  outputs: readonly string[],
): Promise<WindowResult & { value: Run[] }> {
  const script =
    'read go && for out in "$@"; do dd if="$0" of="$out" bs=4M conv=fsync status=none || exit 1; done';
  const shell = spawn('sh', ['-c', script, input, ...outputs], { stdio: ['pipe', 'ignore', 'inherit'] });
  const exited = once(shell, 'exit');
  try {
    await sleep(SETTLE_MS);
    return await measure(
      spool,
      `(d) control: ${outputs.length} x the same I/O by dd, no Spool code`,
      async () => {
        shell.stdin.end('go\n');
        const [code] = (await exited) as [number | null];
        if (code !== 0) throw new Error(`dd exited with ${code}`);
        return [];
      },
    );
  } finally {
    if (shell.exitCode === null) shell.kill();
  }
}

// ---- tables ----

const msOf = (ns: number): string => (ns / 1e6).toFixed(1);
const s = (ms: number): string => (ms / 1000).toFixed(2);
const percent = (fraction: number): string => `${Math.round(fraction * 100)}%`;
const delayCells = (delay: IntervalHistogram): string[] => [
  msOf(delay.percentile(50)),
  msOf(delay.percentile(99)),
  msOf(delay.max),
  String(delay.count),
];

const DELAY_HEADER = [
  'window',
  'window s',
  'delay p50 ms',
  'delay p99 ms',
  'delay max ms',
  'samples',
  'process cores',
  'main-thread cores',
  'frames dropped',
];

function delayRow(window: WindowResult): string[] {
  const cores = (cpuMs: number): string => (cpuMs / window.wallMs).toFixed(2);
  return [
    window.label,
    s(window.wallMs),
    ...delayCells(window.delay),
    cores(window.cpuMs),
    cores(window.mainCpuMs),
    String(window.droppedFrames),
  ];
}

const runRow = (run: Run, index: number): string[] => [
  `&nbsp;&nbsp;run ${index + 1}${index === 0 ? ' (first)' : ''}`,
  s(run.wallMs),
  ...delayCells(run.delay),
  '',
  '',
  '',
];

const STALL_HEADER = [
  'window',
  `stalls > ${STALL_MS} ms`,
  `their ms beyond ${RESOLUTION_MS} ms`,
  'main thread running ms',
  'waiting for a core ms',
  'blocked or asleep ms',
  'GC pauses: count / total ms / longest ms',
  'other processes cores',
  'CPU pressure',
  'I/O pressure',
];

function stallRow(window: WindowResult): string[] {
  const { count, excessMs, runningMs, waitingMs, blockedMs } = window.stalls;
  const { gc } = window;
  const othersCores = Math.max(0, window.machineBusy * cpus().length - window.cpuMs / window.wallMs);
  return [
    window.label,
    String(count),
    ...[excessMs, runningMs, waitingMs, blockedMs].map((ms) => ms.toFixed(0)),
    `${gc.count} / ${gc.totalMs.toFixed(0)} / ${gc.maxMs.toFixed(1)} ${gc.longestKind}`.trim(),
    othersCores.toFixed(2),
    window.pressure ? percent(window.pressure.cpu) : '-',
    window.pressure ? percent(window.pressure.io) : '-',
  ];
}

function printTable(header: readonly string[], rows: readonly string[][]): void {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log('');
}

// ---- the benchmark ----

/** Writes the long recording as a live recording would, in a child process so this heap stays clean. */
async function writeLongRecording(
  clip: string,
  path: string,
): Promise<{ frames: number; elapsedMs: number }> {
  const { stdout } = await run(process.execPath, [WRITER_CHILD, clip, path, String(MINUTES * 60), 'av'], {
    maxBuffer: 2 ** 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { frames: number; elapsedMs: number };
}

/** Every frame written is in the finalized file, and it lasts as long as the recording. */
function checkResult(label: string, result: FinalizeResult, frames: number): void {
  const samples = result.tracks.reduce((sum, track) => sum + track.sampleCount, 0);
  if (samples !== frames) throw new Error(`${label}: ${samples} samples finalized, ${frames} written`);
  if (Math.abs(result.durationMs - MINUTES * 60_000) > 1000)
    throw new Error(`${label}: finalized ${result.durationMs} ms, expected ${MINUTES * 60_000}`);
}

/** ffprobe reads both tracks of a finalized file to their full length (outside the windows). */
async function checkOutput(path: string): Promise<void> {
  const probe = await ffprobe(path);
  if (probe.streams.length !== 2) throw new Error(`${path}: ${probe.streams.length} streams, expected 2`);
  for (const stream of probe.streams) {
    if (Math.abs(Number(stream.duration) - MINUTES * 60) > 1)
      throw new Error(`${path}: ffprobe reads ${stream.codec_name} of ${stream.duration} s`);
  }
}

async function main(): Promise<void> {
  const tmp = new TempDir('spool-bench-eld-');
  const publishers: FilePublisher[] = [];
  let spool: InProcessSpool | undefined;
  try {
    progress(`making the clip and writing ${MINUTES} min of fragmented MP4 ...`);
    const clip = await makeClip({ seconds: 10, bFrames: 2, size: '1280x720' });
    const media = await readMediaFile(clip);
    const longRecording = join(tmp.path, 'long.frag.mp4');
    const written = await writeLongRecording(clip, longRecording);
    const longBytes = statSync(longRecording).size;

    spool = await startSpool(tmp, { plugins: ['recorder', 'writer-mp4'], sets: ['log.level=warn'] });
    const started = spool;
    const fileWork = started.spool.service(FileWorkToken);
    const recorder = started.spool.service(RecorderServiceToken);
    const mp4 = started.spool.service(WriterRegistryToken).get('mp4');
    if (mp4 === undefined) throw new Error('writer-mp4 did not register');
    const outputs = Array.from({ length: REPEATS }, (_, i) =>
      join(started.recordDir, `long-${i + 1}.finalizing.mp4`),
    );
    const windows: WindowResult[] = [];
    const delayRows: string[][] = [];
    const add = <W extends WindowResult>(window: W): W => {
      windows.push(window);
      delayRows.push(delayRow(window));
      return window;
    };
    const loadAtStart = loadavg()[0] ?? 0;

    add(await measure(started, 'idle: Spool started, no streams', () => sleep(IDLE_MS)));

    progress(`starting ${STREAMS} real-time publishers ...`);
    for (let k = 0; k < STREAMS; k++) {
      publishers.push(
        await publishFile(started.spool.bus, media, { name: `stream${k}`, seconds: 24 * 3600, speed: 1 }),
      );
      await sleep(GOP_MS / STREAMS); // keyframes (and so fragment flushes) of the streams not in step
    }
    await waitFor(
      `${STREAMS} recordings writing`,
      () => (recorder.list().filter((r) => r.state === 'writing').length === STREAMS ? true : undefined),
      30_000,
    );
    await sleep(SETTLE_MS);
    add(await measure(started, `(a) baseline: ${STREAMS} streams recording`, () => sleep(BASELINE_S * 1000)));

    let fragments = 0;
    const report = async (window: WindowResult & { value: Run[] }): Promise<void> => {
      add(window);
      delayRows.push(...window.value.map(runRow));
      for (const [i, { result }] of window.value.entries()) {
        if (result === undefined) continue;
        checkResult(`${window.label}, run ${i + 1}`, result, written.frames);
        fragments = result.fragmentCount;
      }
      if (window.value[0]?.result !== undefined) await checkOutput(outputs[0] ?? '');
      await Promise.all(outputs.map((output) => rm(output, { force: true })));
    };
    await sleep(SETTLE_MS);
    // Exactly the task finalizeRecording gives the pool when a recording stops (or is recovered).
    await report(
      await runsWindow(started, `(b) pool: ${REPEATS} x finalize on the worker pool`, outputs, (output) =>
        fileWork.run<FinalizeResult>({
          module: mp4.finalizer.module,
          exportName: mp4.finalizer.exportName,
          args: [longRecording, output, mp4.finalizeOptions()],
        }),
      ),
    );
    await sleep(SETTLE_MS);
    await report(
      await runsWindow(started, `(c) main: ${REPEATS} x finalize on the main thread`, outputs, (output) =>
        finalizeFragmentedMp4(longRecording, output, mp4.finalizeOptions() as unknown as FinalizeOptions),
      ),
    );
    await report(await ioControlWindow(started, longRecording, outputs));

    progress(`stopping the publishers (their recordings are finalized) ...`);
    await Promise.all(publishers.splice(0).map((publisher) => publisher.stop()));
    await waitFor(`${STREAMS} recordings finished`, () =>
      started.finished.length >= STREAMS ? true : undefined,
    );
    const empty = started.finished.filter((file) => !(file.sizeBytes > 0));
    if (empty.length > 0) throw new Error(`empty recordings: ${empty.map((f) => f.fileName).join(', ')}`);
    const recordedS = started.finished.reduce((sum, file) => sum + file.durationMs, 0) / 1000 / STREAMS;

    console.log(
      `\n### Event-loop delay: ${STREAMS} streams recording while ${MINUTES} min of MP4 is finalized\n`,
    );
    console.log(
      `${new Date().toISOString()}, ${cpuModel()} x ${cpus().length}, Node ${process.version}; ` +
        `load average ${loadAtStart.toFixed(2)} at start. ` +
        `Long recording: ${written.frames} frames, ${fragments} fragments, ${(longBytes / 2 ** 20).toFixed(0)} MiB ` +
        `(1280x720 H.264 B-frames + AAC, ${((longBytes * 8) / (MINUTES * 60) / 1e6).toFixed(2)} Mbps), ` +
        `written in ${s(written.elapsedMs)} s. Streams: ${STREAMS} of the same clip, ${recordedS.toFixed(0)} s ` +
        `recorded each, all files complete. monitorEventLoopDelay resolution ${RESOLUTION_MS} ms ` +
        `(an idle loop reads about ${RESOLUTION_MS + 0.1} ms).\n`,
    );
    printTable(DELAY_HEADER, delayRows);
    printTable(STALL_HEADER, windows.map(stallRow));
  } finally {
    await Promise.all(publishers.map((publisher) => publisher.stop().catch(() => undefined)));
    await spool?.stop();
    tmp.cleanup();
  }
}

await main();
