import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StreamBus } from '../../core/index.js';
import type { RecorderService } from '../recorder/api.js';
import type { JsonSchema } from './json-schema.js';
import { routeStatuses, withOpenApiRoute, type OpenApiDocument } from './openapi.js';
import { REST_PREFIX, restRouter } from './router.js';
import { restRoutes } from './routes.js';

const deps = { bus: {} as StreamBus, recorder: {} as RecorderService, demandTimeoutMs: 1000 };

function build(authEnabled: boolean) {
  const options = { authEnabled, maxBodyBytes: 1024 };
  const routes = withOpenApiRoute(restRoutes(deps), options);
  const router = restRouter(routes, { ...options, tokens: ['t'] });
  const document = routes.find((r) => r.path === '/openapi.json')!.handle(undefined) as OpenApiDocument;
  return { routes, router, document };
}

/** "POST /stream/find" for every operation the router serves (HEAD comes with GET). */
function served(router: ReturnType<typeof restRouter>): string[] {
  const operations = new Set<string>();
  for (const layer of router.stack) {
    const methods = layer.methods.filter((m) => m !== 'HEAD');
    if (methods.length !== 1) continue; // the auth guard and the 405/OPTIONS layers take every method
    operations.add(`${methods[0]} ${String(layer.path).slice(REST_PREFIX.length)}`);
  }
  return [...operations].sort();
}

function documented(document: OpenApiDocument): string[] {
  return Object.entries(document.paths)
    .flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

describe('the OpenAPI document', () => {
  test('documents exactly the methods the router serves', () => {
    for (const authEnabled of [false, true]) {
      const { router, document } = build(authEnabled);
      assert.deepEqual(documented(document), served(router));
    }
    assert.deepEqual(documented(build(false).document), [
      'GET /openapi.json',
      'POST /recorder/find_all',
      'POST /recorder/startup',
      'POST /recorder/terminate',
      'POST /stream/find',
      'POST /stream/find_all',
      'POST /stream/startRecording',
      'POST /stream/stopRecording',
    ]);
  });

  test('gives every method its statuses, bodies and a unique operationId', () => {
    const { routes, document } = build(false);
    const ids = new Set<string>();
    for (const route of routes) {
      const operation = document.paths[route.path]![route.method]!;
      ids.add(operation.operationId);
      assert.equal(operation.requestBody?.content['application/json'].schema, route.body);
      const statuses = Object.keys(operation.responses);
      assert.ok(statuses.includes('200') && !statuses.includes('401'), route.path);
      assert.equal(statuses.includes('404'), route.statuses?.[404] !== undefined, route.path);
      assert.equal(
        statuses.includes('400') && statuses.includes('413'),
        route.body !== undefined,
        route.path,
      );
    }
    assert.equal(ids.size, routes.length);
    assert.deepEqual(document.security, []);
    assert.match(JSON.stringify(document.paths['/recorder/startup']), /"rotation"/);
    for (const path of ['/recorder/startup', '/stream/startRecording']) {
      const operation = document.paths[path]!.post!;
      const body = operation.requestBody!.content['application/json'].schema;
      assert.deepEqual(body.oneOf, [{ required: ['mediaSessionId'] }, { required: ['name'] }], path);
      assert.deepEqual(Object.keys(body.properties!), ['mediaSessionId', 'name', 'config'], path);
      assert.match(operation.responses['502']!.description, /could not be pulled/, path);
      assert.deepEqual(
        (operation.responses['200']!.content!['application/json']!.schema as JsonSchema).required,
        ['mediaSessionId', 'name', 'fileName'],
        path,
      );
    }
    const with502 = Object.entries(document.paths).filter(([, ops]) =>
      Object.values(ops).some((op) => '502' in op.responses),
    );
    assert.deepEqual(with502.map(([path]) => path).sort(), ['/recorder/startup', '/stream/startRecording']);
  });

  test('with auth on, every method requires the bearer token and may answer 401', () => {
    const { document } = build(true);
    assert.deepEqual(document.security, [{ bearerAuth: [] }]);
    for (const operations of Object.values(document.paths)) {
      for (const operation of Object.values(operations)) assert.ok('401' in operation.responses);
    }
  });

  test("lists the error statuses a route declares, in order, with the route's words", () => {
    const route = {
      method: 'post' as const,
      path: '/thing/startup',
      summary: 'Starts a thing',
      body: { type: 'object' as const },
      statuses: { 502: 'the source is down', 409: 'the thing runs already', 404: 'no such thing' },
      handle: () => undefined,
    };
    const statuses = routeStatuses(route, { authEnabled: false, maxBodyBytes: 1024 });
    assert.deepEqual(Object.keys(statuses), ['200', '400', '404', '409', '413', '500', '502']);
    assert.equal(statuses['404'], 'Not found: no such thing');
    assert.equal(statuses['409'], 'Conflict: the thing runs already');
    assert.equal(statuses['502'], 'Source unavailable: the source is down');
  });
});
