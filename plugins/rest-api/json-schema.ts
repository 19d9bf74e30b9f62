import { Ajv2020, type SchemaObject } from 'ajv/dist/2020.js';
import { errorLines } from './schema-errors.js';

export type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

/**
 * A JSON Schema as a REST body or reply declares it, for plugins that write the plain object.
 * The schemas built with TypeBox's Type.* are JsonSchemas too, and give the handler its static type
 * (restRoute). Either way the same object validates request bodies and appears in the OpenAPI
 * document, so the two cannot drift apart. The interface names the keywords used so far; ajv
 * enforces all of JSON Schema.
 */
export interface JsonSchema {
  readonly type?: JsonType | readonly JsonType[];
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly const?: string | number | boolean;
  readonly oneOf?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
  readonly examples?: readonly unknown[];
}

// Draft 2020-12, the dialect of OpenAPI 3.1. Strict: an unknown keyword or a type a keyword cannot
// apply to is a mistake in the schema, refused when the router compiles it (start-up). A bare
// `{ required: [...] }` in a oneOf/anyOf names properties declared beside it, as strictRequired
// cannot see. Every error, with its schema, so that each field at fault is named.
const ajv = new Ajv2020({
  allErrors: true,
  verbose: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
});

/**
 * Compiles `schema` once; the function it returns tells what is wrong with a value, one line per
 * problem naming the field by its path from `at`, and is empty when the value matches.
 */
export function schemaCheck(schema: JsonSchema, at = 'body'): (value: unknown) => string[] {
  const validate = ajv.compile(schema as SchemaObject);
  return (value) => (validate(value) ? [] : errorLines(validate.errors ?? [], value, at));
}

/** What is wrong with `value`, as schemaCheck says (the compiled schema is cached by identity). */
export function schemaErrors(value: unknown, schema: JsonSchema, at = 'body'): string[] {
  return schemaCheck(schema, at)(value);
}
