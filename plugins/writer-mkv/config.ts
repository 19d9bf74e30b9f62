import { positiveInteger, type ConfigSchema } from '../../core/index.js';

/** Cluster limits of a Matroska recording; writer-mkv and writer-webm share the reference's keys. */
export interface MatroskaWriterConfig {
  clusterDurationLimitMs: number;
  clusterSizeLimitBytes: number;
}

export const matroskaWriterSchema: ConfigSchema<MatroskaWriterConfig> = {
  clusterDurationLimitMs: {
    doc:
      'A cluster ends before a frame this many ms after its start (clusters also start at every video ' +
      'keyframe; Matroska caps a cluster at 32767 ms)',
    format: positiveInteger,
    default: 100000,
    property: 'webm_cluster_duration_limit',
  },
  clusterSizeLimitBytes: {
    doc: 'A cluster ends before a frame that would make it larger than this many bytes',
    format: positiveInteger,
    default: 131072,
    property: 'webm_cluster_size_limit',
  },
};
