import fc from 'fast-check';

/** Strings that have broken parsers, validators, SQL, templates, CSV and logs elsewhere. */
export const NASTY_STRINGS = [
  "' OR '1'='1", "'; DROP TABLE jobs; --", '1; SELECT pg_sleep(5)', "\\'; COPY (SELECT 1) TO PROGRAM 'id'; --",
  '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '${7*7}', '{{constructor.constructor("return process")()}}',
  '../../../../etc/passwd', '..%2f..%2fetc%2fpasswd', '%00', '%', '%zz', '\u0000', 'a\u0000b', '\u0000\u0001\u0002\u001f\u007f',
  '\r\nX-Injected: 1', '\n', '\t', '\u202e\u2066', '\ufeff', '\ud800', '\udfff\ud800', '😀'.repeat(40),
  '=HYPERLINK("http://127.0.0.1")', '+1+1', '-2+3', '@SUM(1)',
  '__proto__', 'constructor', 'prototype', '$where', '$gt', 'null', 'undefined', 'NaN', 'Infinity', '-0', '1e309',
  'true', '[]', '{}', '0x10', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  ' ', '', 'x'.repeat(10_000),
];

/** ISO 8601 and near-ISO forms that validators and `Date` read differently. */
export const ODD_DATES = [
  '2026-W05-3', '2026W053', '2026-W53', '2026-032', '2026032', '20260131', '20260131T120000Z', '20260131T1200Z',
  '2026-01-31T12:00:00,5Z', '2026-01-31T24:00:00Z', '2026-02-30', '2026-13-01', '0000-01-01', '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.001Z', '9999-12-31T23:59:60Z', '2026-01-31T12:00:00+25:00', '2026-01-31T12:00:00.1234567890123Z',
  '2026-01-31T12:00Z', '2026-01', '2026', '1e13', '-1', '1700000000000', 'yesterday', '2026-01-31 12:00:00', '2026-01-31T12:00:00\u0000Z',
];

const controlCharacter = fc.oneof(
  fc.constant('\u0000'),
  fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)),
  fc.constantFrom('\u007f', '\u0085', '\u2028', '\u2029', '\ud800'),
);

/** The value with a control character (often NUL) put somewhere into it. */
export function tainted(value: string): fc.Arbitrary<string> {
  return fc.tuple(fc.nat({ max: value.length }), controlCharacter).map(([at, character]) => `${value.slice(0, at)}${character}${value.slice(at)}`);
}

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_DATES) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: controlCharacter, minLength: 1, maxLength: 6 }) },
  { weight: 3, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), controlCharacter, fc.string({ maxLength: 8 })).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '$where', 'a.b', 'a[b]', '\u0000', 'k\u0000', ''),
  fc.string({ maxLength: 8 }),
  hostileString,
);

const hostileNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 1.5, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MIN_VALUE),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, shallow or nested, made of the pieces above; objects may carry prototype keys. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A body that is not valid JSON, or JSON shaped to hurt a parser or validator. */
export const rawBodies: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('{', '{"a":', '[1,2', '{"a":1,}', "{'a':1}", 'null', '"text"', '123', 'true', '[]', '\u0000', '{"a":"\\ud800"}',
    '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', '{"a":1,"a":2}', '{"\\u0000":1}'),
  fc.integer({ min: 1, max: 4 }).map((exponent) => nested(10 ** exponent)),
  fc.integer({ min: 1, max: 3 }).map((exponent) => `[${'['.repeat(10 ** exponent)}${']'.repeat(10 ** exponent)}]`),
  fc.constantFrom(1, 2).map((megabytes) => JSON.stringify({ type: 'analytics-process', data: { event: 'x', properties: { blob: 'x'.repeat(megabytes * 1024 * 1024) } } })),
  fc.constant(JSON.stringify({ data: 'x'.repeat(6 * 1024 * 1024) })),
  fc.integer({ min: 1000, max: 20_000 }).map((length) => JSON.stringify({ items: Array.from({ length }, (_, index) => index) })),
);

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}
