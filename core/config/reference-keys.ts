/**
 * Every flashphoner.properties key the two reference documents name, and the Spool plugin whose
 * schema maps it. The kernel uses this table to tell an operator, for a key in their properties
 * file that no enabled plugin maps, whether the plugin that handles it is disabled or the key has
 * no effect in Spool — instead of calling a documented key "unknown".
 * The mapping to Spool's native keys lives in each plugin's config schema (`property` attribute).
 */
export interface ReferenceKey {
  /** The plugin that implements it, or null when the key has no effect in Spool. */
  readonly plugin: string | null;
  /** For keys with no effect: why. */
  readonly noEffect?: string;
}

export const REFERENCE_KEYS: Readonly<Record<string, ReferenceKey>> = Object.freeze({
  record_streams: { plugin: 'recorder' },
  record_flash_published_streams: { plugin: 'recorder' },
  record_rtsp_streams: { plugin: 'recorder' },
  record_formats: { plugin: 'recorder' },
  record_h264_to_ts: { plugin: 'recorder' },
  stream_record_policy_template: { plugin: 'recorder' },
  encode_record_name: { plugin: 'recorder' },
  exclude_record_name_characters: { plugin: 'recorder' },
  record_audio_buffer_max_size: { plugin: 'recorder' },
  record_dir: { plugin: 'recorder' },
  record_tmp_dir: { plugin: 'recorder' },
  record_stop_timeout: { plugin: 'recorder' },
  file_recorder_thread_pool_max_size: { plugin: 'recorder' },
  record_rotation: { plugin: 'rotation' },
  record_rotation_index_enabled: { plugin: 'rotation' },
  on_record_hook_script: { plugin: 'hook-scripts' },
  on_multiple_record_hook_script: { plugin: 'hook-scripts' },
  mp4_container_moov_first: { plugin: 'writer-mp4' },
  mp4_container_moov_first_reserve_space: { plugin: 'writer-mp4' },
  mp4_container_moov_reserved_space_size: { plugin: 'writer-mp4' },
  webm_cluster_duration_limit: { plugin: 'writer-webm' },
  webm_cluster_size_limit: { plugin: 'writer-webm' },
  record_audio_codec_sample_rate: { plugin: 'transcoder' },
  record_audio_codec_channels: { plugin: 'transcoder' },
  record_fdk_aac_bitrate_mode: { plugin: 'transcoder' },
  file_recorder_min_space: { plugin: 'disk-guard' },
  file_recorder_error_interval: { plugin: 'error-policy' },
  file_recorder_max_errors_per_interval: { plugin: 'error-policy' },
  record_response_content_disposition_header_value: { plugin: 'records-http' },
  mp4_cutter_dir: { plugin: 'records-http' },
  multi_record_dir: { plugin: 'multi-recorder' },
  media_dir: { plugin: 'vod' },
  vod_live_loop: { plugin: 'vod' },
  vod_stream_timeout: { plugin: 'vod' },
  vod_mp4_container_new_buffer_ms: { plugin: 'vod' },
  aws_s3_credentials: { plugin: 'source-s3' },
  webm_java_writer_enable: {
    plugin: null,
    noEffect: 'Spool has one WebM writer; cluster limits are always honoured',
  },
  webrtc_pre_init: { plugin: null, noEffect: 'Spool initializes WebRTC when its plugin starts' },
  vod_mp4_container_new: {
    plugin: null,
    noEffect: 'Spool always reads MP4 packet by packet, whatever the box order',
  },
  vod_mp4_container_isoparser_heap_datasource: {
    plugin: null,
    noEffect: 'Spool never maps whole files into memory',
  },
  use_fdk_aac: { plugin: null, noEffect: 'Spool decodes AAC with ffmpeg when it needs to' },
});
