/**
 * Benchmark (issue [play]): one ~1.5 Mbps RTMP publish (H.264 720p30 + AAC) played by N WHEP viewers
 * (werift peer connections in a separate process, nothing decoded) and by N RTMP players (ffmpeg
 * `-c copy -f null`), against node-media-server's own RTMP play of the same stream as the baseline, in the
 * same run. For each N, after every viewer is connected and a settling time, a window of BENCH_SECONDS
 * measures the server side from /proc: CPU of the server process and its children (Spool's shared
 * AAC → Opus ffmpeg for the WHEP viewers) and RSS; the cost per viewer is (cores at N − cores with the
 * publisher alone) / N. What the viewers received is reported beside it, so a server that stopped sending
 * cannot look cheap.
 *
 *   npm run build && node scripts/run-bench.mjs playback
 *   BENCH_WHEP_N=1,10,50,100 BENCH_RTMP_N=1,10,50 BENCH_SECONDS=20 node dist/test/bench/playback.bench.js
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ffmpeg } from '../helpers/media-tools.js';
import { freePort } from '../helpers/ports.js';
import { CLK_TCK, cpuModel, sumCpuTicks, sumRssKb } from '../helpers/proc-stats.js';
import { REPO_ROOT, SPOOL_BIN } from '../helpers/spool-process.js';
import { FfmpegChild, metricSum, NodeChild } from '../helpers/bench-children.js';
import { TempDir } from '../helpers/tmp.js';
import { sleep, waitUntil } from '../helpers/bench-wait.js';

const windowSeconds = Number(process.env.BENCH_SECONDS ?? 20);
const list = (value: string) =>
  value
    .split(',')
    .map((n) => Number(n.trim()))
    .filter((n) => n > 0);
const whepCounts = list(process.env.BENCH_WHEP_N ?? '1,10,50,100');
const rtmpCounts = list(process.env.BENCH_RTMP_N ?? '1,10,50');
const SETTLE_MS = 3000;
const VIEWER_CHILD = join(REPO_ROOT, 'dist', 'test', 'bench', 'whep-viewer-child.js');

interface Row {
  readonly server: string;
  readonly protocol: string;
  readonly n: number;
  readonly cores: number;
  readonly rssMb: number;
  /** Video kbps each viewer received, on average over the window. */
  readonly kbpsPerViewer: number;
  readonly note: string;
}

/** The process and its descendants (Spool's ffmpeg helpers). */
function family(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      const children = readFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`, 'utf8').trim();
      if (children !== '') pids.push(...children.split(/\s+/).map(Number));
    } catch {
      // gone
    }
  }
  return pids;
}

/**
 * Cores used by `pid` and its children over the window, and their peak RSS. Per process: a child that
 * exits during the window (Spool's shared ffmpeg, released when its last viewer left) is counted up to
 * its last sample, not subtracted; one that starts counts from zero.
 */
async function measure(pid: number): Promise<{ cores: number; rssMb: number }> {
  const start = new Map(family(pid).map((p) => [p, sumCpuTicks([p])]));
  const last = new Map(start);
  let peakKb = 0;
  const started = Date.now();
  while (Date.now() - started < windowSeconds * 1000) {
    await sleep(1000);
    const pids = family(pid);
    for (const p of pids) last.set(p, sumCpuTicks([p]));
    peakKb = Math.max(peakKb, sumRssKb(pids));
  }
  let ticks = 0;
  for (const [p, ticksNow] of last) ticks += ticksNow - (start.get(p) ?? 0);
  return { cores: ticks / CLK_TCK / windowSeconds, rssMb: peakKb / 1024 };
}

async function prepareMedia(dir: string): Promise<string> {
  const media = join(dir, 'prepared.flv');
  console.error('playback bench: preparing 30 s of H.264 720p + AAC ...');
  await ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', '30', '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '1400k', '-maxrate', '1400k',
    '-bufsize', '1400k', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-bf', '0',
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-ar', '44100', '-ac', '2', '-y', media,
  ]); // prettier-ignore
  return media;
}

function publisher(media: string, url: string): FfmpegChild {
  return new FfmpegChild(['-re', '-stream_loop', '-1', '-i', media, '-c', 'copy', '-f', 'flv', url]);
}

/** N ffmpeg RTMP players that copy the video they get to /dev/null; its size comes from -progress. */
function rtmpPlayers(n: number, url: string): FfmpegChild[] {
  return Array.from(
    { length: n },
    () =>
      new FfmpegChild([
        '-progress',
        'pipe:2',
        '-i',
        url,
        '-map',
        '0:v',
        '-c',
        'copy',
        '-f',
        'flv',
        '-y',
        '/dev/null',
      ]),
  );
}

/** Total size of the video ffmpeg players have received so far (their latest -progress lines). */
function playerBytes(players: readonly FfmpegChild[]): number {
  let total = 0;
  for (const player of players) {
    const sizes = [...player.stderr.matchAll(/total_size=(\d+)/g)];
    total += Number(sizes.at(-1)?.[1] ?? 0);
  }
  return total;
}

async function rtmpRow(server: string, pid: number, n: number, url: string, idleCores: number): Promise<Row> {
  const players = rtmpPlayers(n, url);
  try {
    await sleep(SETTLE_MS + 2000);
    const running = players.filter((p) => p.alive).length;
    const bytesBefore = playerBytes(players);
    const { cores, rssMb } = await measure(pid);
    const kbps = ((playerBytes(players) - bytesBefore) * 8) / 1000 / windowSeconds / n;
    return {
      server,
      protocol: 'RTMP',
      n,
      cores,
      rssMb,
      kbpsPerViewer: kbps,
      note: `${running}/${n} players running; ${(((cores - idleCores) / n) * 100).toFixed(2)} % of a core per player`,
    };
  } finally {
    await Promise.all(players.map((p) => p.stop('SIGKILL', 1000)));
    await sleep(1000);
  }
}

async function whepRow(pid: number, n: number, base: string, idleCores: number): Promise<Row> {
  const child = new NodeChild([
    VIEWER_CHILD,
    JSON.stringify({ base, name: 'bench', viewers: n, concurrency: 4 }),
  ]);
  try {
    await waitUntil(
      `${n} WHEP viewers connected`,
      () => child.events('connected').length + child.events('failed').length >= n || !child.alive,
      120_000,
    );
    await sleep(SETTLE_MS);
    const stats = () => child.events('stats').at(-1) ?? { videoBytes: 0, connected: 0 };
    const before = Number(stats().videoBytes);
    const { cores, rssMb } = await measure(pid);
    const after = stats();
    const connected = Number(after.connected);
    const kbps = ((Number(after.videoBytes) - before) * 8) / 1000 / windowSeconds / Math.max(connected, 1);
    return {
      server: 'Spool',
      protocol: 'WHEP',
      n,
      cores,
      rssMb,
      kbpsPerViewer: kbps,
      note: `${connected}/${n} connected (${child.events('failed').length} failed); ${(((cores - idleCores) / n) * 100).toFixed(2)} % of a core per viewer`,
    };
  } finally {
    await child.stop('SIGTERM', 10_000);
    await sleep(2000);
  }
}

async function benchSpool(media: string, dir: string): Promise<Row[]> {
  const [httpPort, rtmpPort] = [await freePort(), await freePort()];
  const pluginsFile = join(dir, 'plugins.json');
  const plugins = ['ingest-rtmp', 'ingest-webrtc', 'transcoder', 'play-webrtc', 'play-rtmp'];
  mkdirSync(dir, { recursive: true });
  writeFileSync(pluginsFile, JSON.stringify({ plugins: plugins.map((name) => ({ name, enabled: true })) }));
  const spool = new NodeChild([
    SPOOL_BIN, 'start', '--plugins', pluginsFile,
    '--set', `http.port=${httpPort}`, '--set', 'http.host=127.0.0.1',
    '--set', `ingest-rtmp.port=${rtmpPort}`, '--set', 'ingest-rtmp.host=127.0.0.1',
    '--set', 'ingest-webrtc.ice.addresses=127.0.0.1', '--set', `dataDir=${join(dir, 'data')}`,
    '--set', 'log.level=warn',
  ]); // prettier-ignore
  const base = `http://127.0.0.1:${httpPort}`;
  const url = `rtmp://127.0.0.1:${rtmpPort}/live/bench`;
  await waitUntil(
    'Spool to start',
    () =>
      fetch(`${base}/health`).then(
        (r) => r.ok,
        () => false,
      ),
    30_000,
    () => (spool.alive ? undefined : `Spool exited: ${spool.stderr.join('\n')}`),
  );
  const pub = publisher(media, url);
  const rows: Row[] = [];
  try {
    await waitUntil(
      'the publish',
      async () => {
        const text = await fetch(`${base}/metrics`).then(
          (r) => r.text(),
          () => '',
        );
        return metricSum(text, 'spool_streams_published') >= 1;
      },
      30_000,
      () =>
        spool.alive && pub.alive
          ? undefined
          : `Spool ${spool.alive ? 'runs' : `exited: ${spool.stderr.join('\n')} ${JSON.stringify(spool.lines)}`}; publisher ${pub.alive ? 'runs' : `exited: ${pub.stderr}`}`,
    );
    await sleep(SETTLE_MS);
    const idle = await measure(spool.pid);
    rows.push({
      server: 'Spool',
      protocol: '-',
      n: 0,
      ...idle,
      kbpsPerViewer: 0,
      note: 'the publisher alone',
    });
    for (const n of whepCounts) rows.push(await whepRow(spool.pid, n, base, idle.cores));
    for (const n of rtmpCounts) rows.push(await rtmpRow('Spool', spool.pid, n, url, idle.cores));
  } finally {
    await pub.stop('SIGKILL', 1000);
    await spool.stop('SIGTERM', 10_000);
  }
  return rows;
}

async function benchNms(media: string, dir: string): Promise<Row[]> {
  const rtmpPort = await freePort();
  const nms = new NodeChild([
    join(REPO_ROOT, 'node_modules', 'node-media-server', 'bin', 'app.js'),
    '--bind', '127.0.0.1', '--rtmp-port', String(rtmpPort), '--data-path', join(dir, 'nms-data'),
    '--no-admin', '--http-port', String(await freePort()),
  ]); // prettier-ignore
  const url = `rtmp://127.0.0.1:${rtmpPort}/live/bench`;
  await sleep(2000);
  const pub = publisher(media, url);
  const rows: Row[] = [];
  try {
    await sleep(SETTLE_MS + 2000);
    const idle = await measure(nms.pid);
    rows.push({
      server: 'node-media-server',
      protocol: '-',
      n: 0,
      ...idle,
      kbpsPerViewer: 0,
      note: 'the publisher alone',
    });
    for (const n of rtmpCounts) rows.push(await rtmpRow('node-media-server', nms.pid, n, url, idle.cores));
  } finally {
    await pub.stop('SIGKILL', 1000);
    await nms.stop('SIGKILL', 1000);
  }
  return rows;
}

const tmp = new TempDir('spool-playback-bench-');
try {
  const media = await prepareMedia(tmp.path);
  const rows = [
    ...(await benchSpool(media, join(tmp.path, 'spool'))),
    ...(await benchNms(media, join(tmp.path, 'nms'))),
  ];
  console.log(`### Playback: one ~1.5 Mbps RTMP publish played by N viewers, ${windowSeconds} s window`);
  console.log(`- date: ${new Date().toISOString()}`);
  console.log(`- nproc: ${cpus().length}; CPU: ${cpuModel()}; node ${process.version}; CLK_TCK ${CLK_TCK}`);
  console.log('| server | protocol | N | server cores | peak RSS MB | video kbps per viewer | notes |');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) {
    console.log(
      `| ${row.server} | ${row.protocol} | ${row.n} | ${row.cores.toFixed(3)} | ${row.rssMb.toFixed(1)} | ${row.kbpsPerViewer.toFixed(0)} | ${row.note} |`,
    );
  }
} finally {
  tmp.cleanup();
}
