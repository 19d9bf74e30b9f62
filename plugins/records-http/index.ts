import { resolve } from 'node:path';
import type { Context } from 'koa';
import { Counter } from 'prom-client';
import {
  Router,
  definePlugin,
  type ConfigSchema,
  PluginContextToken,
  injectToken,
  injectable,
  type PluginContext,
  type SpoolPlugin,
} from '../../core/index.js';
import { FileWorkToken } from '../recorder/api.js';
import { CutCache } from './cut-cache.js';
import { cutFileName, isCuttable, parseCutRange } from './cut-request.js';
import { createCutRunner, type CutRunner } from './cut-runner.js';
import { notFound, recordName, resolveRecord, serveRecordFile } from './record-files.js';

export interface RecordsHttpConfig {
  recordDir: string;
  contentDisposition: 'inline' | 'attachment';
  mp4CutterDir: string;
}

export const recordsHttpSchema: ConfigSchema<RecordsHttpConfig> = {
  recordDir: {
    doc: 'Directory whose finished recordings are served under /client/records/ (as the recorder)',
    format: String,
    default: './records',
    property: 'record_dir',
  },
  contentDisposition: {
    doc: 'Content-Disposition of served recordings: inline (play in the browser) or attachment (download)',
    format: ['inline', 'attachment'],
    default: 'inline',
    property: 'record_response_content_disposition_header_value',
  },
  mp4CutterDir: {
    doc: 'Where cuts of MP4 recordings (?start=&end=) are written and kept; empty = record_dir',
    format: String,
    default: '',
    property: 'mp4_cutter_dir',
  },
};

export const RECORDS_PREFIX = '/client/records/';

/** How long a temp file of a cut may sit before start-up takes it for a leftover of a crash. */
const STALE_CUT_TEMP_MS = 60 * 60 * 1000;

interface RecordsHttp {
  readonly recordDir: string;
  readonly disposition: 'inline' | 'attachment';
  readonly runner: CutRunner;
  readonly cuts: CutCache;
}

async function serveRecord(ctx: Context, records: RecordsHttp): Promise<void> {
  const name = recordName(ctx.path.slice(RECORDS_PREFIX.length));
  if (name === undefined) throw notFound();
  const path = await resolveRecord(records.recordDir, name);
  if (path === undefined) throw notFound();
  // Other containers are served whole whatever ?start / ?end say, as in the reference.
  const range = isCuttable(name) ? parseCutRange(ctx.query) : undefined;
  if (range === undefined) return serveRecordFile(ctx, path, name, records.disposition);
  const cutPath = await records.cuts.get(path, name, range);
  return serveRecordFile(ctx, cutPath, cutFileName(name, range), records.disposition);
}

@injectable()
class RecordsHttpPlugin implements SpoolPlugin {
  private records: RecordsHttp | undefined;

  constructor(@injectToken(PluginContextToken) private readonly ctx: PluginContext<RecordsHttpConfig>) {}

  register(): void {
    const ctx = this.ctx;
    const recordDir = resolve(ctx.config.recordDir);
    const runner = createCutRunner(ctx.tryUse(FileWorkToken));
    const cutsCounter = new Counter({
      name: 'spool_record_cuts_total',
      help: 'Requests for MP4 cuts by outcome: written, reused (cached), refused (bad range), failed',
      labelNames: ['result'],
      registers: [ctx.metrics.registry],
    });
    const cuts = new CutCache({
      dir: ctx.config.mp4CutterDir === '' ? recordDir : resolve(ctx.config.mp4CutterDir),
      runner,
      log: ctx.log,
      cuts: cutsCounter,
    });
    const records: RecordsHttp = { recordDir, disposition: ctx.config.contentDisposition, runner, cuts };
    this.records = records;
    ctx.hooks.routes.tap(({ mount }) => {
      const router = new Router();
      router.get('/client/records/:file', (koa) => serveRecord(koa, records));
      mount(router);
    });
  }

  async start(): Promise<void> {
    await this.records?.cuts.removeStaleTemps(STALE_CUT_TEMP_MS);
  }

  async stop(): Promise<void> {
    const { records } = this;
    await records?.cuts.settle();
    await records?.runner.close();
  }
}

/**
 * Serves finished recordings over HTTP: GET and HEAD /client/records/FILE from record_dir, with single
 * byte ranges, ETag / Last-Modified revalidation and a configurable Content-Disposition. Only plain
 * file names directly in record_dir are served: no traversal, no symlink out, no recording in progress.
 * `?start=S&end=E` on an MP4 serves that part of it, cut without re-encoding on the recorder's worker
 * pool when the recorder is enabled (else on a small pool of its own) and kept in mp4_cutter_dir.
 */
export default definePlugin<RecordsHttpConfig>({
  name: 'records-http',
  description: 'Serves finished recordings under /client/records/ (ranges, ETag, time-range cuts)',
  optionalDependsOn: ['recorder'],
  config: recordsHttpSchema,
  plugin: RecordsHttpPlugin,
});
