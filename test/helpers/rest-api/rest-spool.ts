/**
 * For the rest-api tests: a Spool started in-process with the recorder, writer-mp4 and rest-api,
 * and a client that calls its REST methods over real HTTP.
 */
import { join } from 'node:path';
import { Spool, type Track } from '../../../core/index.js';
import { LogCapture } from '../log.js';
import { TempDir } from '../tmp.js';

export interface RestReply {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON reply; undefined for an empty one. */
  readonly body: unknown;
}

export interface RestSpool {
  readonly spool: Spool;
  readonly recordDir: string;
  readonly log: LogCapture;
  /** POST `body` (a value is sent as JSON, a string as is) to /rest-api`path`. */
  call(path: string, body?: unknown, init?: { method?: string; token?: string }): Promise<RestReply>;
}

export class RestSpoolKit {
  readonly tmp = new TempDir('spool-rest-api-');
  private readonly pluginsFile = this.tmp.json('plugins.json', {
    plugins: ['recorder', 'writer-mp4', 'rest-api'].map((name) => ({ name, enabled: true })),
  });
  private runs = 0;

  async run(sets: string[], test: (rest: RestSpool) => Promise<void>): Promise<void> {
    const recordDir = join(this.tmp.path, `records-${++this.runs}`);
    const log = new LogCapture();
    const spool = await Spool.create({
      pluginsFile: this.pluginsFile,
      sets: [
        'http.port=0',
        'http.host=127.0.0.1',
        `recorder.recordDir=${recordDir}`,
        `recorder.recordTmpDir=${recordDir}-in-progress`,
        ...sets,
      ],
      env: {},
      logDestination: log,
    });
    await spool.start();
    const call: RestSpool['call'] = async (path, body, init = {}) => {
      const response = await fetch(`http://127.0.0.1:${spool.httpPort}/rest-api${path}`, {
        method: init.method ?? 'POST',
        headers: init.token === undefined ? {} : { Authorization: `Bearer ${init.token}` },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: text === '' ? undefined : JSON.parse(text),
      };
    };
    try {
      await test({ spool, recordDir, log, call });
    } finally {
      await spool.stop();
    }
  }
}

/** Publishes a stream with these tracks on the bus; the test writes its frames. */
export function publish(spool: Spool, name: string, tracks: Track[], record = false) {
  return spool.bus.publish({ name, login: 'alice', source: 'test', record, tracks, query: {} });
}
