import { positiveInteger, type ConfigSchema } from '../../core/index.js';

export interface RestApiConfig {
  auth: { enabled: boolean; tokens: string[] };
  maxBodyBytes: number;
  demandTimeoutMs: number;
}

export const restApiSchema: ConfigSchema<RestApiConfig> = {
  auth: {
    enabled: {
      doc: 'Require Authorization: Bearer TOKEN, with one of auth.tokens, on every /rest-api request',
      format: Boolean,
      default: false,
    },
    tokens: {
      doc: 'Accepted bearer tokens (a list; "a,b" in --set and the environment)',
      format: (value: unknown) => {
        if (
          !Array.isArray(value) ||
          value.some((token) => typeof token !== 'string' || token.trim() === '')
        ) {
          throw new Error('must be a list of non-empty tokens');
        }
      },
      default: [],
      sensitive: true,
    },
  },
  maxBodyBytes: {
    doc: 'Largest request body accepted; larger ones are answered 413',
    format: positiveInteger,
    default: 65536,
  },
  demandTimeoutMs: {
    doc:
      'startRecording/startup by name: how long a stream that is not published may take to be pulled ' +
      '(an rtsp:// camera) before the call answers 502',
    format: positiveInteger,
    default: 30000,
  },
};
