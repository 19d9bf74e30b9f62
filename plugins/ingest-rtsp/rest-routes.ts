import { SpoolError } from '../../core/index.js';
import type { JsonSchema, RestRoute } from '../rest-api/api.js';
import type { RtspIngest } from './api.js';

const URI: JsonSchema = {
  type: 'string',
  minLength: 8,
  maxLength: 4096,
  pattern: '^[rR][tT][sS][pP]://',
  description: 'rtsp:// URI; credentials as rtsp://user:pass@host/…, URL-escaped (p%40ss for p@ss)',
  examples: ['rtsp://admin:secret@192.168.1.64:554/Streaming/Channels/101'],
};

const STARTUP_BODY: JsonSchema = {
  type: 'object',
  required: ['uri'],
  properties: {
    uri: URI,
    toStream: {
      type: 'string',
      minLength: 1,
      maxLength: 1024,
      description: 'Stream name to publish as; default: the URI without credentials',
    },
  },
};

const TERMINATE_BODY: JsonSchema = { type: 'object', required: ['uri'], properties: { uri: URI } };

const CAPTURE_LIST: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['uri', 'toStream', 'status', 'onDemand'],
    properties: {
      uri: { type: 'string', description: 'Without credentials' },
      toStream: { type: 'string' },
      status: {
        type: 'string',
        description: 'CONNECTING, PLAYING, RECONNECTING, FAILED (not retried) or STOPPED',
        examples: ['PLAYING'],
      },
      info: { type: 'string', description: 'Why the last session ended, e.g. "Unauthorized: …"' },
      onDemand: { type: 'boolean' },
    },
  },
};

/** /rest-api/rtsp/…: pull a camera, list the pulled ones, stop one. */
export function rtspRoutes(ingest: RtspIngest): RestRoute[] {
  return [
    {
      method: 'post',
      path: '/rtsp/startup',
      summary: 'Starts pulling an RTSP camera and publishes it as a stream (409 when it is already pulled)',
      body: STARTUP_BODY,
      statuses: { 409: 'the URI is already pulled, or the stream name is in use' },
      handle(body) {
        const { uri, toStream } = body as { uri: string; toStream?: string };
        ingest.startup(uri, toStream);
        return undefined;
      },
    },
    {
      method: 'post',
      path: '/rtsp/find_all',
      summary: 'Lists the pulled RTSP cameras with their status',
      reply: CAPTURE_LIST,
      statuses: { 404: 'no RTSP camera is pulled' },
      handle() {
        const list = ingest.list();
        if (list.length === 0) throw new SpoolError('SPOOL_ERR_NOT_FOUND', 'no RTSP camera is pulled');
        return list;
      },
    },
    {
      method: 'post',
      path: '/rtsp/terminate',
      summary: 'Stops pulling an RTSP camera (TEARDOWN); its stream ends',
      body: TERMINATE_BODY,
      statuses: { 404: 'the URI is not pulled' },
      async handle(body) {
        await ingest.terminate((body as { uri: string }).uri);
        return undefined;
      },
    },
  ];
}
