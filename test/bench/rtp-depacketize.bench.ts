/**
 * Benchmark: H.264 RTP depacketizing (RFC 6184) by Spool's lib/rtp H264Depacketizer and by werift's
 * (werift/nonstandard DepacketizeCallback('MPEG4/ISO/AVC'), which ingest-webrtc used), on the same
 * BENCH_PACKETS (100k) packets of a ~1.5 Mbps stream.
 *
 * Prepared once with ffmpeg: 20 s of H.264 constrained baseline, 1280x720, 30 fps, 1.5 Mbps, GOP 1 s, SPS/PPS
 * before every IDR, no access unit delimiters (as Chromium sends it). werift's H264Packetizer (1200-byte
 * payloads) makes STAP-A (SPS+PPS), FU-A and single-NAL packets of it; the 20 s are looped (sequence numbers
 * and timestamps running on) to BENCH_PACKETS werift RtpPacket objects, and also serialized to their bytes.
 *
 * Paths, each timed over all the packets (wall time and this process's CPU time, GC included):
 *   depacketize only  werift: Annex-B access units out; Spool: NAL unit lists out (werift's packet fields
 *                     read into lib/rtp's RtpPacket, as ingest-webrtc does)
 *   → AVCC            the above + what the ingest does next to write the frame: werift's Annex-B split again
 *                     into NAL units; both: access unit delimiters dropped, joined as AVCC
 *   bytes → AVCC      from the wire bytes: werift RtpPacket.deSerialize / Spool parseRtp, then → AVCC (the
 *                     ingest-rtsp path, with each depacketizer)
 * werift's depacketizer clears the payload of the packets it consumes (LIBRARY-NOTES), so each run gets fresh
 * copies of the packet objects, made outside the timing (ingest-webrtc copies them before its jitter buffer,
 * whichever depacketizer follows). The → AVCC outputs of the two are compared (frames, keyframes, bytes).
 * Prints a markdown table: medians of BENCH_REPEATS runs after two warm-up runs, paths interleaved.
 *
 *   npm run bench -- rtp-depacketize
 *   BENCH_PACKETS=200000 BENCH_REPEATS=9 node dist/test/bench/rtp-depacketize.bench.js
 */
import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { H264Packetizer, RtpHeader, RtpPacket } from 'werift';
import { DepacketizeCallback } from 'werift/nonstandard';
import { h264 } from '../../lib/codecs/index.js';
import { H264Depacketizer } from '../../lib/rtp/h264-depacketizer.js';
import { parseRtp, type RtpPacket as SpoolRtpPacket } from '../../lib/rtp/rtp.js';
import { ffmpeg } from '../helpers/media-tools.js';
import { cpuModel } from '../helpers/proc-stats.js';

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!(value > 0)) throw new Error(`${name} must be a positive number, got ${process.env[name]}`);
  return value;
}

const PACKETS = envNumber('BENCH_PACKETS', 100_000);
const REPEATS = envNumber('BENCH_REPEATS', 7);
const WARMUP_RUNS = 2;
const MEDIA_SECONDS = 20;
const FPS = 30;
const TICKS_PER_FRAME = 90000 / FPS;
const MAX_FRAME_BYTES = 8 * 1024 * 1024;

/** What a path gives per picture, reduced to what the comparison needs. */
interface Output {
  frames: number;
  keyframes: number;
  bytes: number;
  hash: ReturnType<typeof createHash>;
}

type Input = { packets: RtpPacket[]; wire: Buffer[] };
/** Runs a path over the input; returns the pictures it gave. `out` only when checking (hashing is slow). */
type Path = (input: Input, out?: Output) => number;

function newOutput(): Output {
  return { frames: 0, keyframes: 0, bytes: 0, hash: createHash('sha256') };
}

/** Writes one picture as AVCC, as the ingest does before it goes on the bus. */
function toAvcc(nals: readonly Uint8Array[], timestamp: number, out: Output | undefined): void {
  const units = nals.filter((nal) => h264.nalType(nal) !== h264.NAL_TYPE.AUD);
  const avcc = h264.joinAvcc(units);
  if (out === undefined) return;
  out.frames++;
  if (units.some((nal) => h264.nalType(nal) === h264.NAL_TYPE.IDR)) out.keyframes++;
  out.bytes += avcc.length;
  out.hash.update(`${timestamp}:`).update(avcc);
}

/** werift's packet fields read into lib/rtp's packet, as ingest-webrtc does after its jitter buffer. */
function spoolPacket(packet: RtpPacket): SpoolRtpPacket {
  const { header } = packet;
  return {
    payloadType: header.payloadType,
    marker: header.marker,
    sequence: header.sequenceNumber,
    timestamp: header.timestamp,
    ssrc: header.ssrc,
    payload: packet.payload,
  };
}

/** werift's depacketizer as ingest-webrtc configured it: a picture ends at the marker bit. */
function werift(
  packets: Iterable<RtpPacket>,
  onFrame: (annexB: Buffer, timestamp: number) => void = () => {},
): number {
  let frames = 0;
  const depacketizer = new DepacketizeCallback('MPEG4/ISO/AVC', {
    isFinalPacketInSequence: (header) => header.marker,
  });
  depacketizer.pipe(({ frame }) => {
    if (frame === undefined || frame.data.length === 0) return;
    frames++;
    onFrame(frame.data, frame.timestamp as number);
  });
  for (const rtp of packets) depacketizer.input({ rtp });
  return frames;
}

function spool(
  packets: Iterable<SpoolRtpPacket>,
  onFrame: (nals: readonly Buffer[], timestamp: number) => void = () => {},
): number {
  let frames = 0;
  const depacketizer = new H264Depacketizer(MAX_FRAME_BYTES);
  for (const packet of packets) {
    for (const unit of depacketizer.push(packet)) {
      if (unit.damaged) continue;
      frames++;
      onFrame(unit.nals, unit.timestamp);
    }
  }
  return frames;
}

function* map<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

const paths: Record<string, Path> = {
  'werift, depacketize only': ({ packets }) => werift(packets),
  'Spool lib/rtp, depacketize only': ({ packets }) => spool(map(packets, spoolPacket)),
  'werift → AVCC': ({ packets }, out) =>
    werift(packets, (annexB, timestamp) => toAvcc(h264.splitAnnexB(annexB), timestamp, out)),
  'Spool lib/rtp → AVCC': ({ packets }, out) =>
    spool(map(packets, spoolPacket), (nals, timestamp) => toAvcc(nals, timestamp, out)),
  'werift, bytes → AVCC': ({ wire }, out) =>
    werift(map(wire, RtpPacket.deSerialize), (annexB, timestamp) =>
      toAvcc(h264.splitAnnexB(annexB), timestamp, out),
    ),
  'Spool lib/rtp, bytes → AVCC': ({ wire }, out) =>
    spool(
      map(wire, (bytes) => parseRtp(bytes)!),
      (nals, timestamp) => toAvcc(nals, timestamp, out),
    ),
};

/** The access units of the encoded stream, without AUDs; each ends at its (single) slice. */
async function accessUnits(): Promise<Uint8Array[][]> {
  const { stdout } = await ffmpeg(
    [
      ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=${FPS},noise=alls=12:allf=t`],
      ...['-t', String(MEDIA_SECONDS), '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'baseline'],
      ...['-pix_fmt', 'yuv420p', '-bf', '0', '-g', String(FPS), '-keyint_min', String(FPS)],
      ...['-sc_threshold', '0', '-b:v', '1500k', '-maxrate', '1500k', '-bufsize', '1500k'],
      ...['-x264-params', 'repeat-headers=1', '-f', 'h264', '-'],
    ],
    600_000,
  );
  const units: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  for (const nal of h264.splitAnnexB(new Uint8Array(stdout))) {
    const type = h264.nalType(nal);
    if (type === h264.NAL_TYPE.AUD) continue;
    current.push(nal);
    if (type === h264.NAL_TYPE.IDR || type === h264.NAL_TYPE.NON_IDR) {
      units.push(current);
      current = [];
    }
  }
  return units;
}

const START_CODE = Buffer.of(0, 0, 0, 1);

/** One loop of the stream as werift packets, then BENCH_PACKETS of them with sequence and time running on. */
function packetize(units: Uint8Array[][]): { packets: RtpPacket[]; wire: Buffer[]; loopPackets: number } {
  const packetizer = new H264Packetizer({ inputFormat: 'annexb', payloadType: 96, ssrc: 0x1234 });
  const loop = units.map((nals, frame) =>
    packetizer.packetize(Buffer.concat(nals.flatMap((nal) => [START_CODE, nal])), frame * TICKS_PER_FRAME),
  );
  const loopPackets = loop.reduce((n, frame) => n + frame.length, 0);
  const packets: RtpPacket[] = [];
  let sequence = 1000;
  for (let frame = 0; packets.length < PACKETS; frame++) {
    const timestamp = (frame * TICKS_PER_FRAME) >>> 0;
    for (const packet of loop[frame % loop.length]!) {
      const header = new RtpHeader({ ...packet.header, sequenceNumber: sequence++ & 0xffff, timestamp });
      packets.push(new RtpPacket(header, packet.payload));
    }
  }
  return { packets, wire: packets.map((packet) => packet.serialize()), loopPackets };
}

/** werift clears the payloads it consumed: every run gets its own packet objects (payload bytes shared). */
function freshInput(input: Input): Input {
  return { packets: input.packets.map((packet) => packet.clone()), wire: input.wire };
}

interface Run {
  wallMs: number;
  cpuMs: number;
  frames: number;
}

function measure(path: Path, input: Input): Run {
  const fresh = freshInput(input);
  const cpu = process.cpuUsage();
  const startedMs = performance.now();
  const frames = path(fresh);
  const wallMs = performance.now() - startedMs;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, frames };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  console.error('rtp-depacketize bench: encoding the stream ...');
  const units = await accessUnits();
  const { packets, wire, loopPackets } = packetize(units);
  const input = { packets, wire };
  const streamBytes = units.reduce((n, nals) => n + nals.reduce((m, nal) => m + nal.length, 0), 0);
  const packetsPerSecond = loopPackets / (units.length / FPS);

  const outputs: Output[] = [];
  for (const [name, path] of Object.entries(paths)) {
    if (!name.includes('AVCC')) continue;
    const out = newOutput();
    path(freshInput(input), out);
    outputs.push(out);
  }
  const digests = new Set(outputs.map((o) => `${o.frames}/${o.keyframes}/${o.hash.digest('hex')}`));
  const reference = outputs[0]!;

  const results = new Map<string, Run[]>();
  for (let run = 0; run < WARMUP_RUNS + REPEATS; run++) {
    const names = Object.keys(paths);
    if (run % 2 === 1) names.reverse();
    for (const name of names) {
      const result = measure(paths[name]!, input);
      if (run >= WARMUP_RUNS) results.set(name, [...(results.get(name) ?? []), result]);
    }
    console.error(`rtp-depacketize bench: run ${run + 1} of ${WARMUP_RUNS + REPEATS}`);
  }

  console.log('\n### H.264 RTP depacketizing\n');
  console.log(`- date: ${new Date().toISOString()}`);
  console.log(`- nproc: ${cpus().length}; CPU: ${cpuModel()}; node ${process.version}`);
  console.log(
    `- stream: 1280x720 ${FPS} fps, ${((streamBytes * 8) / (units.length / FPS) / 1e6).toFixed(2)} Mbps, ` +
      `${packetsPerSecond.toFixed(0)} packets/s (${loopPackets} packets per ${units.length / FPS} s loop); ` +
      `${PACKETS} packets per run, median of ${REPEATS} runs`,
  );
  console.log(
    `- → AVCC outputs: ${reference.frames} frames, ${reference.keyframes} keyframes, ` +
      `${(reference.bytes / 2 ** 20).toFixed(1)} MiB; ` +
      (digests.size === 1 ? 'identical for all paths' : `DIFFER between paths: ${[...digests].join(', ')}`) +
      '\n',
  );
  const header = [
    'path',
    'pictures',
    'wall ms',
    'CPU ms',
    'ns per packet',
    '% of a core per 1.5 Mbps stream',
  ];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const [name, runs] of results) {
    const wallMs = median(runs.map((r) => r.wallMs));
    const cpuMs = median(runs.map((r) => r.cpuMs));
    const nsPerPacket = (wallMs * 1e6) / PACKETS;
    const corePct = (nsPerPacket * packetsPerSecond) / 1e7;
    const cells = [
      name,
      runs[0]!.frames,
      wallMs.toFixed(1),
      cpuMs.toFixed(1),
      nsPerPacket.toFixed(0),
      corePct.toFixed(3),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  const counts = new Set([...results.values()].flatMap((runs) => runs.map((r) => r.frames)));
  if (digests.size !== 1 || counts.size !== 1) process.exitCode = 1;
}

await main();
