import { Type } from '@sinclair/typebox';
import { SpoolError, type StreamBus } from '../../core/index.js';
import type { RecorderService } from '../recorder/api.js';
import { restRoute, type RestRoute } from './rest-route.js';
import { STREAM_VIEW_SCHEMA, streamView } from './stream-view.js';

export interface RouteDeps {
  readonly bus: StreamBus;
  readonly recorder: RecorderService;
  /** How long a stream asked for by name may take to be pulled (rest-api.demandTimeoutMs). */
  readonly demandTimeoutMs: number;
}

const MEDIA_SESSION_ID = Type.String({ minLength: 1, examples: ['5a072377-73c1-4caf-abd3'] });

const SESSION_BODY = Type.Object({ mediaSessionId: MEDIA_SESSION_ID });

const FIND_BODY = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1 })), mediaSessionId: Type.Optional(MEDIA_SESSION_ID) },
  {
    description: 'name, mediaSessionId or both; a stream must match every field given',
    anyOf: [{ required: ['name'] }, { required: ['mediaSessionId'] }],
  },
);

const STREAM_NAME = Type.String({
  minLength: 1,
  maxLength: 4096,
  description:
    'The name of the stream to record, instead of its mediaSessionId. A name rtsp://… that is not ' +
    'published pulls that camera first (capture on demand; credentials URL-escaped in the URI, never ' +
    'shown); the stream is then named after the URI without credentials',
  examples: ['cam1', 'rtsp://admin:secret@192.168.1.64:554/Streaming/Channels/101'],
});

// A oneOf, which TypeBox has no builder for (its Union writes anyOf): the same here, as a string is
// never an integer, but the document and the 400 message say "exactly one" as they always have.
const ROTATION = Type.Unsafe<string | number>({
  description: '"disabled", seconds ("20" or 20) or megabytes ("10M"), as record_rotation',
  oneOf: [
    Type.String({ pattern: '^(disabled|[1-9][0-9]*M?)$', description: '"disabled", "20", "10M"' }),
    Type.Integer({ minimum: 1, description: 'seconds' }),
  ],
  examples: ['20M', 'disabled'],
});

const STARTUP_BODY = Type.Object(
  {
    mediaSessionId: Type.Optional(MEDIA_SESSION_ID),
    name: Type.Optional(STREAM_NAME),
    config: Type.Optional(
      Type.Object(
        {
          fileTemplate: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 1024,
              description: 'File name template, as stream_record_policy_template',
              examples: ['{streamName}-{startTime}-{endTime}'],
            }),
          ),
          rotation: Type.Optional(ROTATION),
        },
        {
          description:
            "Settings that override the server's for this recording; a missing one is the server's",
        },
      ),
    ),
  },
  {
    description: 'The stream by mediaSessionId or by name (exactly one of them), and optional settings',
    oneOf: [{ required: ['mediaSessionId'] }, { required: ['name'] }],
  },
);

const STARTED = Type.Object(
  {
    mediaSessionId: MEDIA_SESSION_ID,
    name: Type.String({ description: 'The stream name (an rtsp:// name without credentials)' }),
    fileName: Type.String({
      description: 'Elements known only at the end (e.g. {endTime}) stay unresolved',
      examples: ['cam1-1563776083752-{endTime}.mp4'],
    }),
  },
  { description: 'The recording that was started; stop it with stopRecording {mediaSessionId}' },
);

const STREAM_LIST = Type.Array(STREAM_VIEW_SCHEMA);

const RECORDING_LIST = Type.Array(
  Type.Object({
    fileName: Type.String({
      description: 'Elements known only at the end (e.g. {endTime}) stay unresolved',
      examples: ['test-1563776083752-{endTime}.mp4'],
    }),
    mediaSessionId: MEDIA_SESSION_ID,
  }),
);

export function restRoutes({ bus, recorder, demandTimeoutMs }: RouteDeps): RestRoute[] {
  const startRecording = (path: string) =>
    restRoute({
      method: 'post',
      path,
      summary:
        'Records a stream, given by mediaSessionId or by name (a name rtsp://… pulls the camera on demand): ' +
        'stops its recording if one runs and starts a new one with the given settings',
      body: STARTUP_BODY,
      reply: STARTED,
      statuses: {
        404: 'no published stream has this mediaSessionId, or this name, and no plugin can pull it',
        502:
          'the stream asked for by name could not be pulled within rest-api.demandTimeoutMs ' +
          '(e.g. an rtsp:// camera unreachable or refusing the credentials); the reason is in the error',
      },
      async handle({ mediaSessionId, name, config = {} }) {
        // By name: the published stream, or one a provider pulls (an rtsp:// camera, on demand).
        const id =
          name === undefined
            ? mediaSessionId!
            : (await bus.demand(name, { timeoutMs: demandTimeoutMs })).mediaSessionId;
        const started = await recorder.start(id, {
          ...(config.fileTemplate === undefined ? {} : { fileTemplate: config.fileTemplate }),
          ...(config.rotation === undefined ? {} : { rotation: String(config.rotation) }),
        });
        return {
          mediaSessionId: started.mediaSessionId,
          name: started.streamName,
          fileName: started.fileName,
        };
      },
    });
  const stopRecording = (path: string) =>
    restRoute({
      method: 'post',
      path,
      summary: "Stops the stream's recording; answers when the file is in record_dir",
      body: SESSION_BODY,
      statuses: { 404: 'the stream is not being recorded' },
      async handle({ mediaSessionId }) {
        await recorder.stop(mediaSessionId);
      },
    });
  return [
    restRoute({
      method: 'post',
      path: '/stream/find_all',
      summary: 'Lists the published streams',
      reply: STREAM_LIST,
      statuses: { 404: 'no stream is published' },
      handle: () => nonEmpty(bus.list().map(streamView), 'no stream is published'),
    }),
    restRoute({
      method: 'post',
      path: '/stream/find',
      summary: 'Finds published streams by name and/or mediaSessionId',
      body: FIND_BODY,
      reply: STREAM_LIST,
      statuses: { 404: 'no published stream matches' },
      handle({ name, mediaSessionId }) {
        const stream = mediaSessionId === undefined ? bus.find(name!) : bus.get(mediaSessionId);
        const matches = stream !== undefined && (name === undefined || stream.name === name) ? [stream] : [];
        return nonEmpty(matches.map(streamView), 'no published stream matches');
      },
    }),
    startRecording('/stream/startRecording'),
    startRecording('/recorder/startup'),
    stopRecording('/stream/stopRecording'),
    stopRecording('/recorder/terminate'),
    restRoute({
      method: 'post',
      path: '/recorder/find_all',
      summary: 'Lists the running recordings, started over REST or by the publisher',
      reply: RECORDING_LIST,
      statuses: { 404: 'nothing is being recorded' },
      handle: () =>
        nonEmpty(
          recorder.list().map(({ fileName, mediaSessionId }) => ({ fileName, mediaSessionId })),
          'nothing is being recorded',
        ),
    }),
  ];
}

/** The reference answers 404 rather than an empty list. */
function nonEmpty<T>(items: T[], message: string): T[] {
  if (items.length === 0) throw new SpoolError('SPOOL_ERR_NOT_FOUND', message);
  return items;
}
