import { SpoolError, type StreamBus } from '../../core/index.js';
import type { RecorderService } from '../recorder/api.js';
import type { JsonSchema } from './json-schema.js';
import { STREAM_VIEW_SCHEMA, streamView } from './stream-view.js';

/**
 * One REST method under /rest-api. The router serves it and the OpenAPI document describes it,
 * both from this table. A method with a `body` gets its JSON body read and checked against the
 * schema (400 otherwise) before `handle` runs; `handle` answers 200 with its result, or with an
 * empty body for `undefined`; errors are SpoolErrors (404 …) or internal (500).
 */
export interface RestRoute {
  readonly method: 'get' | 'post';
  /** Path below /rest-api. */
  readonly path: string;
  readonly summary: string;
  readonly body?: JsonSchema;
  /** Schema of the 200 reply; none = an empty body. */
  readonly reply?: JsonSchema;
  /** When the method answers 404. */
  readonly notFound?: string;
  /** When the method answers 502 (a stream asked for by name could not be pulled from its source). */
  readonly unavailable?: string;
  /** The reply is built from constant data: nothing but a bug can fail (no 500 documented). */
  readonly infallible?: true;
  handle(body: unknown): unknown;
}

export interface RouteDeps {
  readonly bus: StreamBus;
  readonly recorder: RecorderService;
  /** How long a stream asked for by name may take to be pulled (rest-api.demandTimeoutMs). */
  readonly demandTimeoutMs: number;
}

const MEDIA_SESSION_ID: JsonSchema = { type: 'string', minLength: 1, examples: ['5a072377-73c1-4caf-abd3'] };

const SESSION_BODY: JsonSchema = {
  type: 'object',
  required: ['mediaSessionId'],
  properties: { mediaSessionId: MEDIA_SESSION_ID },
};

const FIND_BODY: JsonSchema = {
  type: 'object',
  description: 'name, mediaSessionId or both; a stream must match every field given',
  properties: { name: { type: 'string', minLength: 1 }, mediaSessionId: MEDIA_SESSION_ID },
  anyOf: [{ required: ['name'] }, { required: ['mediaSessionId'] }],
};

const STREAM_NAME: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 4096,
  description:
    'The name of the stream to record, instead of its mediaSessionId. A name rtsp://… that is not ' +
    'published pulls that camera first (capture on demand; credentials URL-escaped in the URI, never ' +
    'shown); the stream is then named after the URI without credentials',
  examples: ['cam1', 'rtsp://admin:secret@192.168.1.64:554/Streaming/Channels/101'],
};

const STARTUP_BODY: JsonSchema = {
  type: 'object',
  description: 'The stream by mediaSessionId or by name (exactly one of them), and optional settings',
  oneOf: [{ required: ['mediaSessionId'] }, { required: ['name'] }],
  properties: {
    mediaSessionId: MEDIA_SESSION_ID,
    name: STREAM_NAME,
    config: {
      type: 'object',
      description: "Settings that override the server's for this recording; a missing one is the server's",
      properties: {
        fileTemplate: {
          type: 'string',
          minLength: 1,
          maxLength: 1024,
          description: 'File name template, as stream_record_policy_template',
          examples: ['{streamName}-{startTime}-{endTime}'],
        },
        rotation: {
          description: '"disabled", seconds ("20" or 20) or megabytes ("10M"), as record_rotation',
          oneOf: [
            { type: 'string', pattern: '^(disabled|[1-9][0-9]*M?)$', description: '"disabled", "20", "10M"' },
            { type: 'integer', minimum: 1, description: 'seconds' },
          ],
          examples: ['20M', 'disabled'],
        },
      },
    },
  },
};

const STARTED: JsonSchema = {
  type: 'object',
  description: 'The recording that was started; stop it with stopRecording {mediaSessionId}',
  required: ['mediaSessionId', 'name', 'fileName'],
  properties: {
    mediaSessionId: MEDIA_SESSION_ID,
    name: { type: 'string', description: 'The stream name (an rtsp:// name without credentials)' },
    fileName: {
      type: 'string',
      description: 'Elements known only at the end (e.g. {endTime}) stay unresolved',
      examples: ['cam1-1563776083752-{endTime}.mp4'],
    },
  },
};

const STREAM_LIST: JsonSchema = { type: 'array', items: STREAM_VIEW_SCHEMA };

const RECORDING_LIST: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['fileName', 'mediaSessionId'],
    properties: {
      fileName: {
        type: 'string',
        description: 'Elements known only at the end (e.g. {endTime}) stay unresolved',
        examples: ['test-1563776083752-{endTime}.mp4'],
      },
      mediaSessionId: MEDIA_SESSION_ID,
    },
  },
};

interface SessionBody {
  mediaSessionId: string;
}
interface FindBody {
  name?: string;
  mediaSessionId?: string;
}
interface StartupBody {
  mediaSessionId?: string;
  name?: string;
  config?: { fileTemplate?: string; rotation?: string | number };
}

export function restRoutes({ bus, recorder, demandTimeoutMs }: RouteDeps): RestRoute[] {
  const findAllStreams = () => nonEmpty(bus.list().map(streamView), 'no stream is published');
  const findStreams = (body: unknown) => {
    const { name, mediaSessionId } = body as FindBody;
    const stream = mediaSessionId === undefined ? bus.find(name!) : bus.get(mediaSessionId);
    const matches = stream !== undefined && (name === undefined || stream.name === name) ? [stream] : [];
    return nonEmpty(matches.map(streamView), 'no published stream matches');
  };
  const startRecording = async (body: unknown) => {
    const { mediaSessionId, name, config = {} } = body as StartupBody;
    // By name: the published stream, or one a provider pulls (an rtsp:// camera, on demand).
    const id =
      name === undefined
        ? mediaSessionId!
        : (await bus.demand(name, { timeoutMs: demandTimeoutMs })).mediaSessionId;
    const started = await recorder.start(id, {
      ...(config.fileTemplate === undefined ? {} : { fileTemplate: config.fileTemplate }),
      ...(config.rotation === undefined ? {} : { rotation: String(config.rotation) }),
    });
    return { mediaSessionId: started.mediaSessionId, name: started.streamName, fileName: started.fileName };
  };
  const stopRecording = async (body: unknown) => {
    await recorder.stop((body as SessionBody).mediaSessionId);
  };
  const findAllRecordings = () =>
    nonEmpty(
      recorder.list().map(({ fileName, mediaSessionId }) => ({ fileName, mediaSessionId })),
      'nothing is being recorded',
    );

  const start = {
    summary:
      'Records a stream, given by mediaSessionId or by name (a name rtsp://… pulls the camera on demand): ' +
      'stops its recording if one runs and starts a new one with the given settings',
    body: STARTUP_BODY,
    reply: STARTED,
    notFound: 'no published stream has this mediaSessionId, or this name, and no plugin can pull it',
    unavailable:
      'the stream asked for by name could not be pulled within rest-api.demandTimeoutMs ' +
      '(e.g. an rtsp:// camera unreachable or refusing the credentials); the reason is in the error',
    handle: startRecording,
  };
  const stop = {
    summary: "Stops the stream's recording; answers when the file is in record_dir",
    body: SESSION_BODY,
    notFound: 'the stream is not being recorded',
    handle: stopRecording,
  };
  return [
    post('/stream/find_all', {
      summary: 'Lists the published streams',
      reply: STREAM_LIST,
      notFound: 'no stream is published',
      handle: findAllStreams,
    }),
    post('/stream/find', {
      summary: 'Finds published streams by name and/or mediaSessionId',
      body: FIND_BODY,
      reply: STREAM_LIST,
      notFound: 'no published stream matches',
      handle: findStreams,
    }),
    post('/stream/startRecording', start),
    post('/recorder/startup', start),
    post('/stream/stopRecording', stop),
    post('/recorder/terminate', stop),
    post('/recorder/find_all', {
      summary: 'Lists the running recordings, started over REST or by the publisher',
      reply: RECORDING_LIST,
      notFound: 'nothing is being recorded',
      handle: findAllRecordings,
    }),
  ];
}

function post(path: string, route: Omit<RestRoute, 'method' | 'path'>): RestRoute {
  return { method: 'post', path, ...route };
}

/** The reference answers 404 rather than an empty list. */
function nonEmpty<T>(items: T[], message: string): T[] {
  if (items.length === 0) throw new SpoolError('SPOOL_ERR_NOT_FOUND', message);
  return items;
}
