/**
 * What writer-mkv shares as code: the Matroska ContainerWriter with its profiles, and the cluster-limit
 * settings (the reference's webm_cluster_* keys). writer-webm builds its writer from these, so it works
 * with the writer-mkv plugin disabled: this module holds no state and needs no running writer-mkv.
 */
export { matroskaWriterSchema, type MatroskaWriterConfig } from './config.js';
export {
  MatroskaContainerWriter,
  MKV_PROFILE,
  WEBM_PROFILE,
  webmProfile,
  type MatroskaProfile,
} from './matroska-writer.js';
