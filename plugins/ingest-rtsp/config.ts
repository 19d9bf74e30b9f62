import { positiveInteger, type ConfigSchema } from '../../core/index.js';

export interface IngestRtspConfig {
  clientAddress: string;
  transport: 'tcp' | 'udp';
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  mediaTimeoutMs: number;
  startTimeoutMs: number;
  syncWaitMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  keepaliveMaxMs: number;
  maxPendingFrames: number;
  maxFrameBytes: number;
  onDemandIdleMs: number;
}

export const ingestRtspSchema: ConfigSchema<IngestRtspConfig> = {
  clientAddress: {
    doc: 'Local address the RTSP client connects from (TCP and UDP); empty = the system chooses',
    format: String,
    default: '',
    property: 'rtsp_client_address',
  },
  transport: {
    doc: 'How RTP comes from the camera: tcp (interleaved in the RTSP connection) or udp',
    format: ['tcp', 'udp'],
    default: 'tcp',
  },
  connectTimeoutMs: { doc: 'TCP connect timeout', format: positiveInteger, default: 5000 },
  responseTimeoutMs: {
    doc: 'How long the camera may take to answer an RTSP request',
    format: positiveInteger,
    default: 10000,
  },
  mediaTimeoutMs: {
    doc: 'A camera that sends no RTP for this long is disconnected and reconnected',
    format: positiveInteger,
    default: 10000,
  },
  startTimeoutMs: {
    doc: 'After PLAY, how long until the stream must be publishable (H.264 SPS/PPS seen) before reconnecting',
    format: positiveInteger,
    default: 20000,
  },
  syncWaitMs: {
    doc: 'How long frames are held for the RTCP sender reports that sync audio and video, before publishing with RTP-Info sync',
    format: 'nat',
    default: 5000,
  },
  reconnectMinMs: {
    doc: 'First delay before reconnecting to a camera',
    format: positiveInteger,
    default: 1000,
  },
  reconnectMaxMs: {
    doc: 'Longest delay between reconnect attempts (the delay doubles from reconnectMinMs up to this)',
    format: positiveInteger,
    default: 10000,
  },
  keepaliveMaxMs: {
    doc: "Longest period between keepalives (GET_PARAMETER or OPTIONS); half the camera's session timeout when shorter",
    format: positiveInteger,
    default: 30000,
  },
  maxPendingFrames: {
    doc: 'Frames held per camera while the stream is being published; beyond this the oldest are dropped',
    format: positiveInteger,
    default: 2000,
  },
  maxFrameBytes: {
    doc: 'Largest video or audio frame accepted from a camera; larger ones are dropped',
    format: positiveInteger,
    default: 8 * 1024 * 1024,
  },
  onDemandIdleMs: {
    doc: 'A camera pulled on demand (a stream named rtsp://…) with no subscriber for this long is released',
    format: positiveInteger,
    default: 60000,
  },
};
