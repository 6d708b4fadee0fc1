/**
 * Values the service writes for itself (error messages, a failed job's data) made storable in
 * PostgreSQL whatever they hold: text and jsonb refuse NUL (`\u0000`) and jsonb refuses a lone
 * surrogate, and an unbounded value bloats every row, export and alert that copies it.
 * Client input never needs this (hostile-input.ts refuses it); errors from providers and
 * results of handlers may.
 */
const NUL = /\u0000/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const MAX_DEPTH = 32;

/** Without NUL, lone surrogates as U+FFFD, and at most `maxLength` characters (an ellipsis marks a cut). */
export function storableText(text: string, maxLength: number): string {
  const clean = text.replace(NUL, '').replace(LONE_SURROGATE, '\uFFFD');
  if (clean.length <= maxLength) return clean;
  // Cut between code points, never inside a pair.
  let end = maxLength - 1;
  if (/[\uD800-\uDBFF]/.test(clean[end - 1] ?? '')) end -= 1;
  return `${clean.slice(0, end)}…`;
}

/** What stands in for an object too large (or too deep) to store. */
export interface UnstorableObject {
  unstorable: true;
  reason: 'too_large' | 'not_an_object';
  bytes?: number;
}

/**
 * A copy of `value` with every string and key storable (NUL removed, lone surrogates
 * replaced), nesting beyond 32 levels cut, and, when its JSON is still over `maxBytes`, a
 * small marker saying so in its place.
 */
export function storableObject(value: unknown, maxBytes: number): Record<string, unknown> | UnstorableObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { unstorable: true, reason: 'not_an_object' };
  const copy = storableJsonValue(value, 0) as Record<string, unknown>;
  const bytes = Buffer.byteLength(JSON.stringify(copy));
  return bytes <= maxBytes ? copy : { unstorable: true, reason: 'too_large', bytes };
}

function storableJsonValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return storableText(value, Number.MAX_SAFE_INTEGER);
  if (typeof value === 'bigint') return String(value);
  if (typeof value !== 'object' || value === null) return typeof value === 'number' && !Number.isFinite(value) ? null : value;
  if (depth >= MAX_DEPTH) return '[nested too deeply]';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map((item) => storableJsonValue(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [storableText(key, 200), storableJsonValue(item, depth + 1)]),
  );
}
