import type { FieldProblem } from '../errors/validation-details';

/**
 * Nesting deeper than this is refused before anything walks the body: class-transformer,
 * class-validator and JSON.stringify recurse, and a deep enough body overflows their stack.
 * A batch item's template data sits at depth 4 (jobs.0.data.data), which leaves room to spare.
 */
export const MAX_INPUT_DEPTH = 32;

/** Where a value came from: query strings and object keys allow no control character at all. */
export type InputLocation = 'body' | 'query' | 'param';

/**
 * NUL (which PostgreSQL's text and jsonb refuse) and the other C0 controls; a body string may
 * keep tab, line feed and carriage return (an SMS or an e-mail body has lines).
 */
const CONTROL_IN_BODY_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
/** Every C0 control and DEL: a key or a query value has no use for them. */
const CONTROL_ANYWHERE = /[\u0000-\u001F\u007F]/;
/** Half of a UTF-16 surrogate pair: jsonb refuses `\ud800` and text gets a replacement character. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The problems of a request body, query or route parameter that no field validator can see
 * or survive: NUL and control characters in any string or object key, lone surrogates, and
 * nesting beyond MAX_INPUT_DEPTH. Iterative, so that a hostile depth cannot overflow the
 * stack here. Each problem names its field by dotted path, as the validation pipe does.
 */
export function findHostileInput(value: unknown, location: InputLocation, root = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path: root, depth: 0 }];
  const textPattern = location === 'body' ? CONTROL_IN_BODY_TEXT : CONTROL_ANYWHERE;
  while (pending.length) {
    const { value: current, path, depth } = pending.pop()!;
    if (typeof current === 'string') {
      if (textPattern.test(current)) problems.push({ field: path, message: `${nameOf(path)} must not contain NUL or other control characters` });
      else if (LONE_SURROGATE.test(current)) problems.push({ field: path, message: `${nameOf(path)} must be well-formed Unicode (no lone surrogate)` });
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= MAX_INPUT_DEPTH) {
      problems.push({ field: path, message: `${nameOf(path)} is nested too deeply (at most ${MAX_INPUT_DEPTH} levels)` });
      continue;
    }
    const entries = Array.isArray(current) ? current.map((item, index) => [String(index), item] as const) : Object.entries(current);
    for (const [key, child] of entries) {
      if (CONTROL_ANYWHERE.test(key) || LONE_SURROGATE.test(key)) {
        problems.push({ field: path, message: `${nameOf(path)} has a key with NUL, a control character or a lone surrogate` });
        continue;
      }
      pending.push({ value: child, path: path ? `${path}.${key}` : key, depth: depth + 1 });
    }
  }
  return problems.sort((a, b) => a.field.localeCompare(b.field));
}

function nameOf(path: string): string {
  return path || 'the request';
}
