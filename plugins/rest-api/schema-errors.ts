import type { ErrorObject } from 'ajv/dist/2020.js';

/**
 * Ajv's errors for `value` as the lines of a 400 reply: one per problem, naming the field by its
 * path ("body.config.rotation", "body.tags[1]") in the words the REST API has always used, so
 * clients that show or match them see no change.
 */
export function errorLines(errors: readonly ErrorObject[], value: unknown, at: string): string[] {
  const kept = errors.filter((error) => !errors.some((other) => hides(other, error)));
  return combinatorsLast(kept).map((error) => line(error, pathOf(value, error.instancePath, at)));
}

/**
 * Ajv checks a oneOf/anyOf before the properties beside it; the REST API has always named the
 * fields at fault first, then the choice the body as a whole fails.
 */
function combinatorsLast(errors: ErrorObject[]): ErrorObject[] {
  const ordered = [...errors];
  for (const combinator of errors.filter((error) => isCombinator(error.keyword))) {
    const at = ordered.indexOf(combinator);
    ordered.splice(at, 1);
    const inside = (error: ErrorObject) =>
      error.instancePath === combinator.instancePath ||
      error.instancePath.startsWith(`${combinator.instancePath}/`);
    ordered.splice(Math.max(at, ordered.findLastIndex(inside) + 1), 0, combinator);
  }
  return ordered;
}

function isCombinator(keyword: string): boolean {
  return keyword === 'oneOf' || keyword === 'anyOf';
}

/**
 * Ajv also reports what fails beside a failed type (a oneOf of `required`s passes twice on an
 * array) and inside every branch of a failed oneOf/anyOf: alternatives the client did not
 * choose. Only the outer problem says what to fix.
 */
function hides(outer: ErrorObject, inner: ErrorObject): boolean {
  if (outer === inner) return false;
  if (outer.keyword === 'type') {
    const sameSchema = outer.schemaPath.slice(0, -'type'.length);
    return inner.instancePath === outer.instancePath && inner.schemaPath.startsWith(sameSchema);
  }
  if (isCombinator(outer.keyword)) {
    return inner.schemaPath.startsWith(`${outer.schemaPath}/`);
  }
  return false;
}

function line(error: ErrorObject, at: string): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `${at} must be ${[params.type].flat().join(' or ')}`;
    case 'required':
      return `${at}.${String(params.missingProperty)} is required`;
    case 'minLength':
      return `${at} must have at least ${String(params.limit)} character(s)`;
    case 'maxLength':
      return `${at} must have at most ${String(params.limit)} characters`;
    case 'pattern':
      return `${at} must match ${String(params.pattern)}`;
    case 'minimum':
      return `${at} must be at least ${String(params.limit)}`;
    case 'const':
      return `${at} must be ${JSON.stringify(params.allowedValue)}`;
    case 'oneOf':
      return `${at} must match exactly one of: ${describe(error.schema)}`;
    case 'anyOf':
      return `${at} must match one of: ${describe(error.schema)}`;
    default:
      return `${at} ${error.message ?? `fails ${error.keyword}`}`;
  }
}

/** The options of a oneOf/anyOf, for a person: the fields each one requires, or what it is. */
function describe(options: unknown): string {
  return (options as ReadonlyArray<{ required?: string[]; description?: string; type?: unknown }>)
    .map((option) =>
      option.required !== undefined
        ? `{${option.required.join(', ')}}`
        : (option.description ?? JSON.stringify(option.type)),
    )
    .join('; ');
}

/** The JSON Pointer of ajv as a path a person reads: "/tags/1" → "body.tags[1]". */
function pathOf(value: unknown, pointer: string, at: string): string {
  let path = at;
  let node = value;
  for (const segment of pointer.split('/').slice(1)) {
    const key = segment.replaceAll('~1', '/').replaceAll('~0', '~');
    path += Array.isArray(node) ? `[${key}]` : `.${key}`;
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  return path;
}
