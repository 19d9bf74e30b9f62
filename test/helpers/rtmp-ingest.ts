import { join } from 'node:path';
import { Spool, type Frame, type Stream, type Track } from '../../core/index.js';
import { RtmpIngestToken } from '../../plugins/ingest-rtmp/api.js';
import { LogCapture } from './log.js';
import { TempDir } from './tmp.js';

/** avcC and AudioSpecificConfig as ffmpeg 4.1 sent them over RTMP (640x360 High, AAC-LC 44.1 kHz stereo). */
export const FFMPEG_AVCC = Buffer.from(
  '0164001effe100196764001eacb405017fcb8088000003000800000301e478b17501000468ef0fcb',
  'hex',
);
export const FFMPEG_ASC = Buffer.from('121056e500', 'hex');

function amf0String(text: string): Buffer {
  const bytes = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x02, bytes.length >> 8, bytes.length & 0xff]), bytes]);
}

export function amf0Value(value: number | string | boolean | Record<string, number | string>): Buffer {
  if (typeof value === 'string') return amf0String(value);
  if (typeof value === 'boolean') return Buffer.from([0x01, value ? 1 : 0]);
  if (typeof value === 'number') {
    const out = Buffer.alloc(9);
    out.writeDoubleBE(value, 1);
    return out;
  }
  const entries = Object.entries(value).map(([key, item]) => {
    const name = Buffer.from(key);
    return Buffer.concat([Buffer.from([name.length >> 8, name.length & 0xff]), name, amf0Value(item)]);
  });
  return Buffer.concat([Buffer.from([0x03]), ...entries, Buffer.from([0, 0, 0x09])]);
}

/** `@setDataFrame "onMetaData" {…}` as encoders send it. */
export function metadataTag(values: Record<string, number | string>): Buffer {
  return Buffer.concat([amf0String('@setDataFrame'), amf0String('onMetaData'), amf0Value(values)]);
}

/** Everything one published stream delivered to a subscriber that attached in `published`. */
export interface Capture {
  readonly stream: Stream;
  readonly frames: Frame[];
  readonly trackEvents: Track[];
  end?: { reason: string; atMs: number };
}

/** A Spool with ingest-rtmp on an ephemeral port, recording every stream published on its bus. */
export class RtmpIngestHarness {
  readonly captures: Capture[] = [];

  private constructor(
    readonly spool: Spool,
    readonly log: LogCapture,
    private readonly tmp: TempDir,
  ) {
    spool.hooks.tap('test', 'published', ({ stream }) => {
      const capture: Capture = { stream, frames: [], trackEvents: [] };
      this.captures.push(capture);
      const subscription = stream.subscribe({
        name: 'test',
        role: 'recorder',
        startAtKeyframe: false,
        maxQueueFrames: 100_000,
      });
      void (async () => {
        for await (const event of subscription) {
          if (event.type === 'frame') capture.frames.push(event.frame);
          else if (event.type === 'track') capture.trackEvents.push(event.track);
          else if (event.type === 'end') capture.end = { reason: event.reason, atMs: Date.now() };
        }
      })();
    });
  }

  static async start(sets: readonly string[] = []): Promise<RtmpIngestHarness> {
    const tmp = new TempDir('spool-rtmp-');
    const pluginsFile = tmp.json('plugins.json', { plugins: [{ name: 'ingest-rtmp', enabled: true }] });
    const log = new LogCapture();
    const spool = await Spool.create({
      pluginsFile,
      sets: [
        'http.port=0',
        'http.host=127.0.0.1',
        'ingest-rtmp.port=0',
        'ingest-rtmp.host=127.0.0.1',
        `dataDir=${join(tmp.path, 'data')}`,
        ...sets,
      ],
      env: {},
      logDestination: log,
    });
    try {
      await spool.start();
    } catch (error) {
      tmp.cleanup();
      throw error;
    }
    return new RtmpIngestHarness(spool, log, tmp);
  }

  get port(): number {
    return this.spool.service(RtmpIngestToken).port;
  }

  url(pathAndQuery: string): string {
    return `rtmp://127.0.0.1:${this.port}/${pathAndQuery}`;
  }

  capture(name: string): Capture | undefined {
    return this.captures.find((c) => c.stream.name === name);
  }

  /** Lines logged by ingest-rtmp at warn or above. */
  warnings(): string[] {
    return this.log.lines
      .filter((l) => l.plugin === 'ingest-rtmp' && Number(l.level) >= 40)
      .map((l) => String(l.msg));
  }

  async stop(): Promise<void> {
    try {
      await this.spool.stop();
    } finally {
      this.tmp.cleanup();
    }
  }
}

export { waitFor } from './wait.js';
