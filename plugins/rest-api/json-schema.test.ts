import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { schemaCheck, type JsonSchema } from './json-schema.js';

const body: JsonSchema = {
  type: 'object',
  required: ['id'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 4 },
    rotation: {
      oneOf: [
        { type: 'string', pattern: '^(disabled|[1-9][0-9]*M?)$' },
        { type: 'integer', minimum: 1 },
      ],
    },
    codec: { type: ['string', 'null'] },
    tags: { type: 'array', items: { type: 'string' } },
    flag: { type: 'boolean', const: true },
  },
};

/** As the router checks a body: the schema compiled once. */
const schemaErrors = (value: unknown, schema: JsonSchema) => schemaCheck(schema)(value);

describe('request body schemas', () => {
  test('a matching value has no errors; unknown properties are allowed', () => {
    assert.deepEqual(
      schemaErrors({ id: 'a', rotation: '10M', codec: null, tags: ['x'], extra: 1 }, body),
      [],
    );
    assert.deepEqual(schemaErrors({ id: 'abcd', rotation: 20, flag: true }, body), []);
  });

  test('each problem is named by its path', () => {
    assert.deepEqual(schemaErrors([], body), ['body must be object']);
    assert.deepEqual(schemaErrors({}, body), ['body.id is required']);
    assert.deepEqual(schemaErrors({ id: 7 }, body), ['body.id must be string']);
    assert.deepEqual(schemaErrors({ id: '' }, body), ['body.id must have at least 1 character(s)']);
    assert.deepEqual(schemaErrors({ id: 'abcde' }, body), ['body.id must have at most 4 characters']);
    assert.deepEqual(schemaErrors({ id: 'a', codec: 1 }, body), ['body.codec must be string or null']);
    assert.deepEqual(schemaErrors({ id: 'a', tags: ['x', 2] }, body), ['body.tags[1] must be string']);
    assert.deepEqual(schemaErrors({ id: 'a', flag: false }, body), ['body.flag must be true']);
  });

  test('oneOf needs exactly one match: rotation syntax', () => {
    for (const rotation of ['disabled', '20', '10M', 1, 3600]) {
      assert.deepEqual(schemaErrors({ id: 'a', rotation }, body), [], String(rotation));
    }
    for (const rotation of ['', '0', '10K', 'enabled', 0, 1.5, -3, true, null]) {
      assert.equal(schemaErrors({ id: 'a', rotation }, body).length, 1, String(rotation));
    }
  });

  test('anyOf needs one match', () => {
    const find: JsonSchema = { type: 'object', anyOf: [{ required: ['name'] }, { required: ['id'] }] };
    assert.deepEqual(schemaErrors({ name: 'x' }, find), []);
    assert.deepEqual(schemaErrors({ id: 'x', name: 'y' }, find), []);
    assert.deepEqual(schemaErrors({}, find), ['body must match one of: {name}; {id}']);
  });

  test('a schema built with TypeBox is checked the same', () => {
    const typed = Type.Object({
      id: Type.String({ minLength: 1, maxLength: 4 }),
      tags: Type.Optional(Type.Array(Type.String())),
    });
    assert.deepEqual(schemaErrors({ id: 'a', tags: ['x'] }, typed), []);
    assert.deepEqual(schemaErrors({}, typed), ['body.id is required']);
    assert.deepEqual(schemaErrors({ id: 'a', tags: ['x', 2] }, typed), ['body.tags[1] must be string']);
  });

  test('every problem is listed, the fields at fault before a oneOf the body fails', () => {
    const startup: JsonSchema = {
      type: 'object',
      oneOf: [{ required: ['a'] }, { required: ['b'] }],
      properties: { a: { type: 'string' }, 'x/y': { type: 'integer' } },
    };
    assert.deepEqual(schemaErrors({ a: 1, 'x/y': 'z', b: 2 }, startup), [
      'body.a must be string',
      'body.x/y must be integer',
      'body must match exactly one of: {a}; {b}',
    ]);
    assert.deepEqual(schemaErrors([], startup), ['body must be object']);
  });

  test('a schema with a keyword JSON Schema does not have is refused when compiled', () => {
    assert.throws(
      () => schemaCheck({ type: 'string', minlength: 1 } as JsonSchema),
      /unknown keyword: "minlength"/,
    );
  });
});
