import type { ConfigSchema } from '../../core/index.js';
import { parseEncodeRecordName, type NameEncoding } from './file-name.js';

export interface RecorderConfig {
  recordStreams: boolean;
  recordFlashPublishedStreams: boolean;
  recordRtspStreams: boolean;
  recordFormats: string[];
  recordH264ToTs: boolean;
  fileTemplate: string;
  encodeRecordName: NameEncoding;
  excludeRecordNameCharacters: string;
  recordDir: string;
  recordTmpDir: string;
  recordStopTimeout: number;
  recordAudioBufferMaxSize: number;
  threadPoolMaxSize: number;
}

export const RECORD_FORMATS = ['h264-mp4', 'vp8-webm', 'h264-mkv', 'vp8-mkv', 'h264-ts'] as const;

export const recorderSchema: ConfigSchema<RecorderConfig> = {
  recordStreams: {
    doc: 'Master switch: false records nothing',
    format: Boolean,
    default: true,
    property: 'record_streams',
  },
  recordFlashPublishedStreams: {
    doc: 'Record every RTMP-published stream, even without ?record=true',
    format: Boolean,
    default: false,
    property: 'record_flash_published_streams',
  },
  recordRtspStreams: {
    doc: 'Record every stream captured from an RTSP camera',
    format: Boolean,
    default: false,
    property: 'record_rtsp_streams',
  },
  recordFormats: {
    doc: `Container per video codec, from ${RECORD_FORMATS.join(', ')}`,
    format: (value: unknown) => {
      if (!Array.isArray(value)) throw new Error('must be a list such as "h264-mp4, vp8-webm"');
      for (const item of value) {
        if (!(RECORD_FORMATS as readonly string[]).includes(item)) {
          throw new Error(`unknown record format "${String(item)}" (known: ${RECORD_FORMATS.join(', ')})`);
        }
      }
    },
    default: ['h264-mp4', 'vp8-webm'],
    property: 'record_formats',
    fromProperty: (raw: string) =>
      raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
  },
  recordH264ToTs: {
    doc: 'Record H.264 streams to MPEG-TS whatever record_formats says',
    format: Boolean,
    default: false,
    property: 'record_h264_to_ts',
  },
  fileTemplate: {
    doc: 'File name template (stream_record_policy_template)',
    format: String,
    default: 'stream-{mediaSessionId}-{login}',
    property: 'stream_record_policy_template',
  },
  encodeRecordName: {
    doc: 'Encode file names: none, hex or base64 (properties: "true,HEX" / "true,BASE64")',
    format: ['none', 'hex', 'base64'],
    default: 'none',
    property: 'encode_record_name',
    fromProperty: parseEncodeRecordName,
  },
  excludeRecordNameCharacters: {
    doc: 'Characters removed from file names',
    format: String,
    default: '/',
    property: 'exclude_record_name_characters',
  },
  recordDir: {
    doc: 'Where finished recordings are stored (created if missing)',
    format: String,
    default: './records',
    property: 'record_dir',
  },
  recordTmpDir: {
    doc: 'Where recordings in progress are written; empty = record_dir',
    format: String,
    default: '',
    property: 'record_tmp_dir',
  },
  recordStopTimeout: {
    doc: 'Seconds a stop waits for finalization before the stream is reported unpublished',
    format: 'nat',
    default: 15,
    property: 'record_stop_timeout',
  },
  recordAudioBufferMaxSize: {
    doc: 'Audio packets buffered at most to keep audio and video interleaved',
    format: 'nat',
    default: 100,
    property: 'record_audio_buffer_max_size',
  },
  threadPoolMaxSize: {
    doc: 'Worker threads for finalizing, recovering and cutting recordings',
    format: 'nat',
    default: 4,
    property: 'file_recorder_thread_pool_max_size',
  },
};
