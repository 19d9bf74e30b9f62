import type { StreamInfo } from '../../core/index.js';
import type { RecorderConfig } from './config.js';

export interface RecordDecision {
  readonly record: boolean;
  readonly origin: 'policy' | 'publisher';
  /** Why, in words an operator reads in the log. */
  readonly reason: string;
}

type PolicyConfig = Pick<
  RecorderConfig,
  'recordStreams' | 'recordFlashPublishedStreams' | 'recordRtspStreams'
>;

/**
 * Whether a newly published stream is recorded: record_streams must be on, and then either the
 * publisher asked (record=true), or the source's own switch is on (RTMP, RTSP).
 */
export function decideRecording(stream: StreamInfo, config: PolicyConfig): RecordDecision {
  if (!config.recordStreams) return { record: false, origin: 'policy', reason: 'record_streams=false' };
  if (stream.record)
    return { record: true, origin: 'publisher', reason: 'the publisher asked (record=true)' };
  if (stream.source === 'rtmp' && config.recordFlashPublishedStreams) {
    return { record: true, origin: 'policy', reason: 'record_flash_published_streams=true' };
  }
  if (stream.source === 'rtsp' && config.recordRtspStreams) {
    return { record: true, origin: 'policy', reason: 'record_rtsp_streams=true' };
  }
  return { record: false, origin: 'policy', reason: 'the publisher did not ask to record' };
}
