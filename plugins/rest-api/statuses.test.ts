import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { RecorderServiceToken } from '../recorder/api.js';
import { schemaErrors, type JsonSchema } from './json-schema.js';
import type { OpenApiDocument } from './openapi.js';
import { publish, RestSpoolKit, type RestSpool } from '../../test/helpers/rest-api/rest-spool.js';

const kit = new RestSpoolKit();
after(() => kit.tmp.cleanup());

const TOKEN = 'tok-3f9a1c77';
const AUTH = ['rest-api.auth.enabled=true', `rest-api.auth.tokens=other-token,${TOKEN}`];

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly statuses: readonly string[];
}

/** Calls the REST API and checks the status and that the reply matches its documented schema. */
function checker(rest: RestSpool, document: OpenApiDocument, reached: Set<string>) {
  return async (op: Operation, body: unknown, expected: number, token: string | null = TOKEN) => {
    const method = op.method.toUpperCase();
    const reply = await rest.call(op.path, body, token === null ? { method } : { method, token });
    const where = `${op.method} ${op.path} ${JSON.stringify(body)?.slice(0, 60)}`;
    assert.equal(reply.status, expected, `${where}: ${JSON.stringify(reply.body)}`);
    const response = document.paths[op.path]![op.method]!.responses[String(expected)];
    assert.ok(response !== undefined, `${where}: status ${expected} is documented`);
    const schema = response.content?.['application/json']?.schema as
      JsonSchema | { $ref: string } | undefined;
    if (schema === undefined) assert.equal(reply.body, undefined, where);
    else {
      const resolved = '$ref' in schema ? document.components.schemas.Error : schema;
      assert.deepEqual(schemaErrors(reply.body, resolved as JsonSchema), [], where);
    }
    reached.add(`${op.method} ${op.path} ${expected}`);
    return reply;
  };
}

describe('rest-api status codes', () => {
  test('every documented status of every method is answered, with the documented body', async () => {
    await kit.run([...AUTH, 'rest-api.maxBodyBytes=1024'], async (rest) => {
      const document = (await rest.call('/openapi.json', undefined, { method: 'GET', token: TOKEN }))
        .body as OpenApiDocument;
      const operations: Operation[] = Object.entries(document.paths).flatMap(([path, byMethod]) =>
        Object.entries(byMethod).map(([method, op]) => ({
          path,
          method,
          statuses: Object.keys(op.responses),
        })),
      );
      const documenting = (status: string) => operations.filter((op) => op.statuses.includes(status));
      const reached = new Set<string>();
      const check = checker(rest, document, reached);

      for (const op of operations) {
        const reply = await check(op, op.method === 'post' ? { mediaSessionId: 'x' } : undefined, 401, null);
        assert.equal(reply.headers.get('www-authenticate'), 'Bearer realm="rest-api"');
        await check(op, undefined, 401, 'not-a-token');
      }
      // Nothing is published or recorded yet.
      for (const op of documenting('404')) {
        await check(op, op.path === '/stream/find' ? { name: 'nobody' } : { mediaSessionId: 'nobody' }, 404);
      }
      for (const op of documenting('400')) {
        await check(op, '{"mediaSessionId": "x"', 400);
        await check(op, {}, 400);
        await check(op, '', 400);
        await check(op, { mediaSessionId: 7, config: { rotation: '10K' } }, 400);
      }
      for (const op of documenting('413')) await check(op, `{"mediaSessionId": "${'x'.repeat(1024)}"}`, 413);

      const stream = await publish(rest.spool, 'cam', [
        { id: 1, kind: 'video', codec: 'h264', timescale: 90000 },
      ]);
      const session = { mediaSessionId: stream.mediaSessionId };
      // In an order that works: a recording runs before it is listed or stopped.
      const okBodies: Array<[string, unknown]> = [
        ['/stream/find_all', undefined],
        ['/stream/find', { name: 'cam' }],
        ['/recorder/startup', { ...session, config: { fileTemplate: 'x', rotation: 20 } }],
        ['/recorder/find_all', undefined],
        ['/recorder/terminate', session],
        ['/stream/startRecording', session],
        ['/stream/stopRecording', session],
        ['/openapi.json', undefined],
      ];
      for (const [path, body] of okBodies)
        await check(
          operations.find((o) => o.path === path)!,
          body,
          200,
        );

      // Internal failures: 500 with a generic body, the reason in the log.
      const recorder = rest.spool.service(RecorderServiceToken);
      const broken = () => {
        throw new Error('disk on fire');
      };
      const patched = [
        Object.assign(recorder, { start: broken, stop: broken, list: broken }),
        Object.assign(rest.spool.bus, { list: broken, find: broken, get: broken }),
      ];
      for (const op of documenting('500')) {
        const reply = await check(op, okBodies.find(([path]) => path === op.path)?.[1], 500);
        assert.deepEqual(reply.body, { error: 'internal error', code: 'SPOOL_ERR_INTERNAL' });
      }
      for (const object of patched)
        for (const key of ['start', 'stop', 'list', 'find', 'get']) delete object[key as never];

      // A stream asked for by name that its provider cannot pull: 502 with the reason, which is not
      // an internal error (not logged as one), and without the credentials of the name.
      const removeProvider = rest.spool.bus.addProvider({
        name: 'test-source',
        accepts: (name) => name.startsWith('test://'),
        streamName: (name) => name.replace('u:secret@', ''),
        pull: (name) => Promise.reject(new Error(`${name} answered 401`)),
      });
      for (const op of documenting('502')) {
        const reply = await check(op, { name: 'test://u:secret@cam' }, 502);
        assert.deepEqual(reply.body, {
          error: 'stream "test://cam" could not be pulled by test-source: test://cam answered 401',
          code: 'SPOOL_ERR_STREAM_UNAVAILABLE',
        });
      }
      removeProvider();
      assert.equal(
        (await rest.call('/stream/startRecording', { name: 'test://cam' }, { token: TOKEN })).status,
        404,
      );
      assert.ok(!JSON.stringify(rest.log.lines).includes('secret'), 'no credentials in the log');
      const failures = rest.log.lines.filter((line) => line.msg === 'HTTP request failed');
      assert.equal(failures.length, documenting('500').length);
      assert.ok(failures.every((line) => JSON.stringify(line.err).includes('disk on fire')));

      const missing = operations.flatMap((op) =>
        op.statuses.map((status) => `${op.method} ${op.path} ${status}`).filter((key) => !reached.has(key)),
      );
      assert.deepEqual(missing, [], 'every documented status is reached');
      assert.ok(!JSON.stringify(rest.log.lines).includes(TOKEN), 'the token is never logged');
      await stream.end('done');
    });
  });

  test('an unknown method is 404, another HTTP verb 405, both as JSON; OPTIONS lists the verbs', async () => {
    await kit.run([], async (rest) => {
      assert.deepEqual(await rest.call('/recorder/explode', {}).then((r) => [r.status, r.body]), [
        404,
        { error: 'no route for POST /rest-api/recorder/explode', code: 'SPOOL_ERR_NOT_FOUND' },
      ]);
      const wrongVerb = await rest.call('/recorder/find_all', undefined, { method: 'GET' });
      assert.equal(wrongVerb.status, 405);
      assert.equal(wrongVerb.headers.get('allow'), 'POST, OPTIONS');
      assert.match((wrongVerb.body as { error: string }).error, /GET is not allowed/);
      const options = await rest.call('/openapi.json', undefined, { method: 'OPTIONS' });
      assert.deepEqual([options.status, options.headers.get('allow')], [204, 'GET, HEAD, OPTIONS']);
      const document = await rest.call('/openapi.json', undefined, { method: 'GET' });
      assert.deepEqual((document.body as OpenApiDocument).security, []);
    });
  });

  test('auth on with no token configured stops start-up with the keys named', async () => {
    await assert.rejects(
      kit.run(['rest-api.auth.enabled=true'], async () => {}),
      (error: Error) => /rest-api\.auth\.tokens is empty/.test(`${error.message} ${String(error.cause)}`),
    );
  });

  test('auth also guards unknown methods; a valid token gets through', async () => {
    await kit.run(AUTH, async (rest) => {
      assert.equal((await rest.call('/recorder/explode', {})).status, 401);
      assert.equal((await rest.call('/recorder/explode', {}, { token: TOKEN })).status, 404);
      assert.equal((await rest.call('/stream/find_all', undefined, { token: 'other-token' })).status, 404);
    });
  });
});
