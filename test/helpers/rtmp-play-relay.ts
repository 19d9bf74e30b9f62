/**
 * A stream shaped like a WebRTC publisher's (H.264 + Opus) for the RTMP play tests: the H.264 of an
 * RTMP-published stream, relayed frame by frame, with real Opus (libopus, 48 kHz stereo) written
 * alongside on the same timeline, paced by the video.
 */
import type { AudioTrack, Frame, Stream, StreamBus } from '../../core/index.js';
import { opusSource } from './transcoder/tone-audio.js';

export interface Relay {
  readonly stream: Stream;
  stop(): Promise<void>;
}

const OPUS_SECONDS = 4;

export async function relayWithOpus(
  bus: StreamBus,
  source: Stream,
  name: string,
  dir: string,
): Promise<Relay> {
  const opus = await opusSource(dir, OPUS_SECONDS, 2);
  const video = source.tracks.find((track) => track.kind === 'video')!;
  const audio: AudioTrack = { ...opus.track, id: video.id + 1 };
  const stream = await bus.publish({
    name,
    login: '',
    source: 'webrtc',
    record: false,
    query: {},
    tracks: [video, audio],
  });
  const subscription = source.subscribe({ name: 'test relay', role: 'recorder' });
  const loopTicks = OPUS_SECONDS * audio.timescale;
  let originTicks: number | undefined;
  let next = 0;
  const opusFrame = (index: number): Frame => {
    const frame = opus.frames[index % opus.frames.length]!;
    const dts = frame.dts + Math.floor(index / opus.frames.length) * loopTicks + originTicks!;
    return { ...frame, trackId: audio.id, dts, pts: dts };
  };
  const done = (async () => {
    for await (const event of subscription) {
      if (event.type !== 'frame' || event.frame.trackId !== video.id || stream.ended) continue;
      const frame = event.frame;
      originTicks ??= Math.round((frame.dts * audio.timescale) / video.timescale);
      stream.writeFrame({ ...frame, trackId: video.id });
      const videoTicks = Math.round((frame.dts * audio.timescale) / video.timescale);
      while (opusFrame(next).dts <= videoTicks) stream.writeFrame(opusFrame(next++));
    }
  })();
  return {
    stream,
    async stop() {
      subscription.close();
      await done;
      await stream.end('relay stopped');
    },
  };
}
