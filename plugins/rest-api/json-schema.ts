/**
 * The small subset of JSON Schema that the REST bodies and replies use. The same schema objects
 * validate request bodies and appear in the OpenAPI document, so the two cannot drift apart.
 */
export type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

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

/** What is wrong with `value`, one line per problem; empty when it matches the schema. */
export function schemaErrors(value: unknown, schema: JsonSchema, at = 'body'): string[] {
  if (schema.type !== undefined) {
    const types: readonly JsonType[] = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!types.some((type) => hasType(value, type))) return [`${at} must be ${types.join(' or ')}`];
  }
  const errors: string[] = [];
  if (schema.const !== undefined && value !== schema.const) {
    errors.push(`${at} must be ${JSON.stringify(schema.const)}`);
  }
  if (typeof value === 'string') errors.push(...stringErrors(value, schema, at));
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) {
    errors.push(`${at} must be at least ${schema.minimum}`);
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, i) => errors.push(...schemaErrors(item, schema.items!, `${at}[${i}]`)));
  }
  if (isObject(value)) errors.push(...objectErrors(value, schema, at));
  if (schema.oneOf !== undefined) {
    const matching = schema.oneOf.filter((option) => schemaErrors(value, option, at).length === 0);
    if (matching.length !== 1) errors.push(`${at} must match exactly one of: ${describe(schema.oneOf)}`);
  }
  if (schema.anyOf !== undefined && !schema.anyOf.some((o) => schemaErrors(value, o, at).length === 0)) {
    errors.push(`${at} must match one of: ${describe(schema.anyOf)}`);
  }
  return errors;
}

function stringErrors(value: string, schema: JsonSchema, at: string): string[] {
  const errors: string[] = [];
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    errors.push(`${at} must have at least ${schema.minLength} character(s)`);
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    errors.push(`${at} must have at most ${schema.maxLength} characters`);
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
    errors.push(`${at} must match ${schema.pattern}`);
  }
  return errors;
}

function objectErrors(value: Record<string, unknown>, schema: JsonSchema, at: string): string[] {
  const errors: string[] = [];
  for (const key of schema.required ?? []) {
    if (value[key] === undefined) errors.push(`${at}.${key} is required`);
  }
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (value[key] !== undefined) errors.push(...schemaErrors(value[key], property, `${at}.${key}`));
  }
  return errors;
}

function hasType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(options: readonly JsonSchema[]): string {
  return options
    .map((option) =>
      option.required !== undefined
        ? `{${option.required.join(', ')}}`
        : (option.description ?? JSON.stringify(option.type)),
    )
    .join('; ');
}
