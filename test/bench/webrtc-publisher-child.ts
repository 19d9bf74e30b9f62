/**
 * The WebRTC publishers of the webrtc-ingest benchmark, in a process of their own (so their CPU is not
 * Spool's): werift peer connections, one per stream, each publishing over WHIP
 * (POST /whip/NAME?record=true, non-trickle) and then replaying prepared media in real time — H.264
 * access units (Annex-B, one AUD-delimited access unit per frame, 30 fps) and 20 ms Opus packets (Ogg) —
 * packetized by werift, never encoded. PLIs are counted; the replay only has the loop's next keyframe
 * (GOP 1 s) to offer, so nothing else is done about them.
 *
 *   node webrtc-publisher-child.js CONFIG_JSON
 *   CONFIG_JSON: {"base":"http://127.0.0.1:PORT","names":["s0",…],"video":"v.h264","audio":"a.ogg",
 *                 "staggerMs":100,"concurrency":2}
 * At most `concurrency` handshakes run at once; a publish that does not connect within 20 s is retried
 * (DELETE, new peer connection) up to 3 attempts in all.
 *
 * stdout: JSON lines: {"event":"published","name"}, {"event":"connected","name"}, {"event":"retry",…}, {"event":"failed",…} (gave up),
 * {"event":"stats",…} every second. SIGTERM: every session is DELETEd and closed, then the process exits.
 */
import { connected, LOOPBACK_PEER_CONFIG } from '../helpers/werift-loopback.js';
import { readFileSync } from 'node:fs';
import { relaxConsentDeadline } from '../../lib/webrtc/ice-consent.js';
import {
  H264Packetizer,
  MediaStreamTrack,
  OpusPacketizer,
  RTCPeerConnection,
  useH264,
  useOPUS,
  type RTCRtpSender,
  type RtpPacket,
} from 'werift';

interface Config {
  base: string;
  names: string[];
  video: string;
  audio: string;
  staggerMs: number;
  concurrency: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const FPS = 30;
const VIDEO_TICKS = 90000 / FPS;
const OPUS_MS = 20;
const MAX_ATTEMPTS = 3;
/**
 * Send pacing as browsers do (WebRTC's pacer sends at ~2.5x the target bitrate): 4 Mbps, bursts of at most
 * 16 kB. Without it a 720p keyframe (~60-90 packets) leaves in one synchronous burst, which overflows the
 * receiver's default 208 kB UDP buffer as soon as a few streams do it at once.
 */
const PACING_BYTES_PER_MS = 4e6 / 8 / 1000;
const PACING_BURST_BYTES = 16_000;
/** Payload type the packetizer stamps on audio (the sender rewrites it): tells the tracks apart in the queue. */
const AUDIO_PT = 111;
const OPUS_TICKS = (48000 * OPUS_MS) / 1000;

const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

// ---- the prepared media ----

/** NAL units of an Annex-B byte stream (start codes removed). */
function nalUnits(stream: Buffer): Buffer[] {
  const starts: { at: number; size: number }[] = [];
  for (let i = 0; i + 2 < stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0) {
      if (stream[i + 2] === 1) {
        starts.push({ at: i, size: 3 });
        i += 2;
      } else if (stream[i + 2] === 0 && stream[i + 3] === 1) {
        starts.push({ at: i, size: 4 });
        i += 3;
      }
    }
  }
  return starts.map((start, k) => stream.subarray(start.at + start.size, starts[k + 1]?.at ?? stream.length));
}

/** Access units (Annex-B, AUD left out) split at the access unit delimiters x264 writes with aud=1. */
function accessUnits(stream: Buffer): { data: Buffer; key: boolean }[] {
  const units: { data: Buffer; key: boolean }[] = [];
  let current: Buffer[] = [];
  const flush = () => {
    if (current.length === 0) return;
    const key = current.some((nal) => (nal[0]! & 0x1f) === 5);
    const startCode = Buffer.from([0, 0, 0, 1]);
    units.push({ data: Buffer.concat(current.flatMap((nal) => [startCode, nal])), key });
    current = [];
  };
  for (const nal of nalUnits(stream)) {
    if ((nal[0]! & 0x1f) === 9) flush();
    else current.push(nal);
  }
  flush();
  return units;
}

/** Packets of an Ogg/Opus file, OpusHead and OpusTags left out. */
function oggPackets(file: Buffer): Buffer[] {
  const packets: Buffer[] = [];
  let partial: Buffer[] = [];
  let at = 0;
  while (at + 27 <= file.length && file.toString('latin1', at, at + 4) === 'OggS') {
    const segments = file[at + 26]!;
    const lacing = file.subarray(at + 27, at + 27 + segments);
    let body = at + 27 + segments;
    for (const size of lacing) {
      partial.push(file.subarray(body, body + size));
      body += size;
      if (size < 255) {
        packets.push(Buffer.concat(partial));
        partial = [];
      }
    }
    at = body;
  }
  return packets.filter((p) => !p.subarray(0, 8).toString('latin1').startsWith('Opus'));
}

const video = accessUnits(readFileSync(config.video));
const audio = oggPackets(readFileSync(config.audio));
if (video.length === 0 || !video[0]!.key || audio.length === 0) {
  throw new Error(`bad prepared media: ${video.length} access units, ${audio.length} Opus packets`);
}

// ---- publishers ----

class Publisher {
  readonly pc = new RTCPeerConnection({
    ...LOOPBACK_PEER_CONFIG,
    codecs: {
      video: [useH264()],
      // The replayed Opus is stereo: say so (RFC 7587), as browsers sending stereo do.
      audio: [useOPUS({ parameters: 'minptime=10;useinbandfec=1;sprop-stereo=1' })],
    },
  });
  readonly videoTrack = new MediaStreamTrack({ kind: 'video' });
  readonly audioTrack = new MediaStreamTrack({ kind: 'audio' });
  readonly videoPacketizer = new H264Packetizer({ inputFormat: 'annexb' });
  readonly audioPacketizer = new OpusPacketizer({ payloadType: AUDIO_PT });
  videoSender!: RTCRtpSender;
  audioSender!: RTCRtpSender;
  location: string | undefined;
  /** Replay clock: performance.now() at frame 0, set once connected. */
  startMs: number | undefined;
  videoSent = 0;
  audioSent = 0;
  plis = 0;
  /** Packetized, not yet sent (the pacer's queue, both tracks in send order), with their media time. */
  readonly queue: Array<{ packet: RtpPacket; dueMs: number }> = [];
  budget = 0;
  pacedMs = 0;
  readonly videoBase = Math.floor(Math.random() * 2 ** 31);
  readonly audioBase = Math.floor(Math.random() * 2 ** 31);

  constructor(readonly name: string) {
    this.videoSender = this.pc.addTransceiver(this.videoTrack, { direction: 'sendonly' }).sender;
    this.audioSender = this.pc.addTransceiver(this.audioTrack, { direction: 'sendonly' }).sender;
    this.videoSender.onPictureLossIndication.subscribe(() => this.plis++);
  }

  async publish(): Promise<void> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    if (this.pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        this.pc.iceGatheringStateChange.subscribe((state) => state === 'complete' && resolve());
      });
    }
    const response = await fetch(`${config.base}/whip/${this.name}?record=true`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp' },
      body: this.pc.localDescription!.sdp,
      signal: AbortSignal.timeout(20_000),
    });
    const body = await response.text();
    if (response.status !== 201) throw new Error(`WHIP ${response.status}: ${body.slice(0, 300)}`);
    this.location = response.headers.get('Location') ?? undefined;
    emit({ event: 'published', name: this.name });
    await this.pc.setRemoteDescription({ type: 'answer', sdp: body });
    await connected(this.pc);
    this.startMs = performance.now();
    this.pacedMs = this.startMs;
    emit({ event: 'connected', name: this.name });
  }

  /** Sends every frame due by `now`; returns how late (ms) the oldest of them was. */
  pump(now: number): number {
    if (this.startMs === undefined) return 0;
    let late = 0;
    for (;;) {
      const due = this.startMs + (this.videoSent * 1000) / FPS;
      if (due > now) break;
      late = Math.max(late, now - due);
      const unit = video[this.videoSent % video.length]!;
      const timestamp = (this.videoBase + this.videoSent * VIDEO_TICKS) >>> 0;
      for (const packet of this.videoPacketizer.packetize(unit.data, timestamp))
        this.queue.push({ packet, dueMs: due });
      this.videoSent++;
    }
    for (;;) {
      const due = this.startMs + this.audioSent * OPUS_MS;
      if (due > now) break;
      late = Math.max(late, now - due);
      const data = audio[this.audioSent % audio.length]!;
      const timestamp = (this.audioBase + this.audioSent * OPUS_TICKS) >>> 0;
      for (const packet of this.audioPacketizer.packetize(data, timestamp))
        this.queue.push({ packet, dueMs: due });
      this.audioSent++;
    }
    this.budget = Math.min(PACING_BURST_BYTES, this.budget + (now - this.pacedMs) * PACING_BYTES_PER_MS);
    this.pacedMs = now;
    while (this.queue.length > 0 && this.budget > 0) {
      const { packet, dueMs } = this.queue.shift()!;
      this.budget -= packet.payload.length + 12;
      const isAudio = packet.header.payloadType === AUDIO_PT;
      (isAudio ? this.audioTrack : this.videoTrack).writeRtp(packet);
      // As a browser does, the sender reports map an RTP time to its media (capture) time, not to when
      // the pacer let the packet go; and werift 0.25.2 writes the NTP fraction wrong (the decimal digits
      // of the seconds read as an integer: reports only right to the whole second). Set it right.
      const sender = (isAudio ? this.audioSender : this.videoSender) as unknown as { ntpTimestamp: bigint };
      sender.ntpTimestamp = ntpTimestamp(dueMs);
    }
    return late;
  }

  async stop(): Promise<void> {
    if (this.location !== undefined) {
      await fetch(new URL(this.location, config.base), {
        method: 'DELETE',
        signal: AbortSignal.timeout(5000),
      }).catch(() => undefined);
    }
    await this.pc.close().catch(() => undefined);
  }
}

/** performance.now() time → 64-bit NTP (seconds since 1900 . 32-bit fraction). */
function ntpTimestamp(performanceMs: number): bigint {
  const seconds = (performance.timeOrigin + performanceMs) / 1000 + 2_208_988_800;
  const whole = Math.floor(seconds);
  return (BigInt(whole) << 32n) | BigInt(Math.floor((seconds - whole) * 2 ** 32));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const publishers: Publisher[] = [];
let maxLateMs = 0;
let lateTicks = 0;

const pumpTimer = setInterval(() => {
  const now = performance.now();
  let late = 0;
  for (const publisher of publishers) late = Math.max(late, publisher.pump(now));
  maxLateMs = Math.max(maxLateMs, late);
  if (late > 100) lateTicks++;
}, 5);

// Browsers give an ICE consent check seconds to be answered; werift gives 500 ms
// (lib/webrtc/ice-consent.ts). Like Spool, these werift peers get the same 2.2 s, so a busy machine does not drop them.
const consentTimer = setInterval(() => {
  for (const publisher of publishers) relaxConsentDeadline(publisher.pc, 1);
}, 1000);

const statsTimer = setInterval(() => {
  emit({
    event: 'stats',
    connected: publishers.filter((p) => p.startMs !== undefined).length,
    videoFrames: publishers.reduce((sum, p) => sum + p.videoSent, 0),
    audioFrames: publishers.reduce((sum, p) => sum + p.audioSent, 0),
    plis: publishers.reduce((sum, p) => sum + p.plis, 0),
    maxLateMs: Math.round(maxLateMs),
    lateTicks,
  });
  maxLateMs = 0;
  lateTicks = 0;
}, 1000);

let stopping = false;
process.once('SIGTERM', () => {
  stopping = true;
  clearInterval(pumpTimer);
  clearInterval(statsTimer);
  clearInterval(consentTimer);
  void Promise.all(publishers.map((p) => p.stop())).finally(() => process.exit(0));
});

/** Connects one stream, retrying (a new peer connection) when the handshake fails under load. */
async function connect(name: string): Promise<void> {
  for (let attempt = 1; !stopping; attempt++) {
    const publisher = new Publisher(name);
    publishers.push(publisher);
    try {
      await publisher.publish();
      return;
    } catch (error) {
      publishers.splice(publishers.indexOf(publisher), 1);
      await publisher.stop();
      if (attempt >= MAX_ATTEMPTS) {
        emit({ event: 'failed', name, attempts: attempt, error: String(error) });
        return;
      }
      emit({ event: 'retry', name, attempt, error: String(error) });
      await sleep(1000);
    }
  }
}

// At most `concurrency` handshakes at a time, starts at least staggerMs apart.
const queue = [...config.names];
await Promise.all(
  Array.from({ length: Math.max(1, config.concurrency) }, async () => {
    for (let name = queue.shift(); name !== undefined && !stopping; name = queue.shift()) {
      await sleep(config.staggerMs);
      await connect(name);
    }
  }),
);
