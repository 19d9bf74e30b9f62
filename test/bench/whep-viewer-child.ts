/**
 * The WHEP viewers of the playback benchmark, in a process of their own (so their CPU is not Spool's):
 * werift peer connections with recvonly H.264 and Opus transceivers, each POSTing to /whep/NAME
 * (non-trickle) and counting what arrives. Nothing is decoded: the figures are Spool's cost of sending.
 *
 *   node whep-viewer-child.js CONFIG_JSON
 *   CONFIG_JSON: {"base":"http://127.0.0.1:PORT","name":"bench","viewers":10,"concurrency":4}
 *
 * stdout: JSON lines {"event":"connected","viewer"}, {"event":"failed","viewer","error"}, and every second
 * {"event":"stats","connected","videoPackets","videoBytes","audioPackets"} (totals over every viewer).
 * SIGTERM: every session is DELETEd and closed, then the process exits.
 */
import { connected, LOOPBACK_PEER_CONFIG } from '../helpers/werift-loopback.js';
import { RTCPeerConnection, useH264, useOPUS } from 'werift';

interface Config {
  base: string;
  name: string;
  viewers: number;
  concurrency: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

const totals = { videoPackets: 0, videoBytes: 0, audioPackets: 0 };

class Viewer {
  readonly pc = new RTCPeerConnection({
    ...LOOPBACK_PEER_CONFIG,
    codecs: { video: [useH264()], audio: [useOPUS()] },
  });
  location: string | undefined;
  connected = false;

  constructor(readonly index: number) {
    for (const kind of ['video', 'audio'] as const) {
      const transceiver = this.pc.addTransceiver(kind, { direction: 'recvonly' });
      transceiver.onTrack.subscribe((track) => {
        track.onReceiveRtp.subscribe((packet) => {
          if (kind === 'video') {
            totals.videoPackets++;
            totals.videoBytes += packet.payload.length;
          } else totals.audioPackets++;
        });
      });
    }
  }

  async play(): Promise<void> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    if (this.pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        this.pc.iceGatheringStateChange.subscribe((state) => state === 'complete' && resolve());
      });
    }
    const response = await fetch(`${config.base}/whep/${encodeURIComponent(config.name)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp' },
      body: this.pc.localDescription!.sdp,
      signal: AbortSignal.timeout(20_000),
    });
    const body = await response.text();
    if (response.status !== 201) throw new Error(`WHEP ${response.status}: ${body.slice(0, 300)}`);
    this.location = response.headers.get('Location') ?? undefined;
    await this.pc.setRemoteDescription({ type: 'answer', sdp: body });
    await connected(this.pc);
    this.connected = true;
    emit({ event: 'connected', viewer: this.index });
  }

  async close(): Promise<void> {
    if (this.location !== undefined) {
      await fetch(new URL(this.location, config.base), { method: 'DELETE' }).catch(() => undefined);
    }
    await this.pc.close().catch(() => undefined);
  }
}

const viewers = Array.from({ length: config.viewers }, (_, index) => new Viewer(index));

async function connectAll(): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < viewers.length) {
      const viewer = viewers[next++]!;
      await viewer
        .play()
        .catch((error: unknown) => emit({ event: 'failed', viewer: viewer.index, error: String(error) }));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, config.concurrency) }, worker));
}

const statsTimer = setInterval(() => {
  emit({ event: 'stats', connected: viewers.filter((v) => v.connected).length, ...totals });
}, 1000);

process.once('SIGTERM', () => {
  clearInterval(statsTimer);
  void Promise.all(viewers.map((viewer) => viewer.close())).finally(() => process.exit(0));
});

void connectAll();
