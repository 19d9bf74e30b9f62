import { RtspError } from './rtsp-error.js';
import type { SdpMedia } from './sdp.js';
import { readerFor, type ReaderOptions, type TrackReader } from './track-readers.js';

/** The media sections a session sets up, in SETUP order, with a reader for each. */
export interface TrackPlan {
  readonly media: readonly SdpMedia[];
  readonly readers: readonly TrackReader[];
  readonly payloadTypes: readonly number[];
  readonly clockRates: readonly number[];
  /** What the camera offers that is left out, for the log. */
  readonly skipped: readonly string[];
}

/**
 * Picks the first video and the first audio section with a format Spool reads (H.264;
 * AAC or G.711). Video comes first, so track 0 is the one the others are aligned to.
 * Throws 'unsupported' when nothing is readable.
 */
export function planTracks(media: readonly SdpMedia[], options: ReaderOptions): TrackPlan {
  const chosen: Array<{ media: SdpMedia; reader: TrackReader; payloadType: number; clockRate: number }> = [];
  const skipped: string[] = [];
  for (const kind of ['video', 'audio'] as const) {
    for (const section of media.filter((m) => m.type === kind)) {
      if (chosen.some((c) => c.reader.kind === kind)) {
        skipped.push(`another ${kind} section`);
        continue;
      }
      for (const format of section.formats) {
        const reader = readerFor(format, options);
        if ('unsupported' in reader) {
          skipped.push(`${kind} ${reader.unsupported}`);
          continue;
        }
        chosen.push({ media: section, reader, payloadType: format.payloadType, clockRate: format.clockRate });
        break;
      }
    }
  }
  if (chosen.length === 0) {
    const offered = skipped.length === 0 ? 'no audio or video' : skipped.join(', ');
    throw new RtspError(
      'unsupported',
      `the camera offers nothing Spool records (H.264, AAC, G.711): ${offered}`,
    );
  }
  return {
    media: chosen.map((c) => c.media),
    readers: chosen.map((c) => c.reader),
    payloadTypes: chosen.map((c) => c.payloadType),
    clockRates: chosen.map((c) => c.clockRate),
    skipped,
  };
}
