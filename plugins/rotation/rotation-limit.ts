/** record_rotation: "disabled", seconds ("20") or megabytes ("10M"). */
export type RotationLimit =
  | { readonly kind: 'disabled' }
  | { readonly kind: 'time'; readonly ms: number }
  | { readonly kind: 'size'; readonly bytes: number };

const PATTERN = /^\s*(\d+)\s*([mM])?\s*$/;

/** Parses a record_rotation value; throws with the accepted forms for anything else. */
export function parseRotation(value: string): RotationLimit {
  if (value.trim().toLowerCase() === 'disabled' || value.trim() === '') return { kind: 'disabled' };
  const match = PATTERN.exec(value);
  const amount = match === null ? NaN : Number(match[1]);
  if (match === null || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new Error(
      `record_rotation "${value}" is not "disabled", seconds (e.g. "20") or megabytes (e.g. "10M")`,
    );
  }
  return match[2] === undefined
    ? { kind: 'time', ms: amount * 1000 }
    : { kind: 'size', bytes: amount * 1024 * 1024 };
}

export function describeRotation(limit: RotationLimit): string {
  if (limit.kind === 'disabled') return 'disabled';
  return limit.kind === 'time' ? `every ${limit.ms / 1000} s` : `every ${limit.bytes / 1024 / 1024} MB`;
}
