import type { Stream } from '../../core/index.js';
import type { RtmpViewers } from './api.js';

/**
 * RTMP players per stream (by mediaSessionId), for this plugin's api.ts. Each player is also counted
 * on the stream itself (`Stream.addViewer('rtmp')`), which the kernel mirrors in /metrics
 * (spool_play_viewers{protocol="rtmp"}) and the REST API shows.
 */
export class ViewerCounts implements RtmpViewers {
  private readonly byStream = new Map<string, number>();

  get total(): number {
    let total = 0;
    for (const count of this.byStream.values()) total += count;
    return total;
  }

  viewers(mediaSessionId: string): number {
    return this.byStream.get(mediaSessionId) ?? 0;
  }

  /** Counts a player in; the function it returns counts it out (once). */
  add(stream: Stream): () => void {
    const id = stream.mediaSessionId;
    this.byStream.set(id, this.viewers(id) + 1);
    const countOutOfStream = stream.addViewer('rtmp');
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      countOutOfStream();
      const left = this.viewers(id) - 1;
      if (left > 0) this.byStream.set(id, left);
      else this.byStream.delete(id);
    };
  }
}
