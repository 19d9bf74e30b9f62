import { createToken } from '../../core/index.js';

/** The RTMP ingest as other plugins, tests and embedding code see it. */
export interface RtmpIngest {
  /** The port RTMP publishers connect to (the real one when `ingest-rtmp.port` is 0); 0 until started. */
  readonly port: number;
  /** The address it binds to. */
  readonly host: string;
  /** The RTMP application publishers use (`rtmp://HOST:PORT/<app>/<stream>`); '' = any. */
  readonly app: string;
  /** RTMP publishers connected right now (accepted, on the bus or about to be). */
  readonly publishers: number;
}

export const RtmpIngestToken = createToken<RtmpIngest>('ingest-rtmp.server');
