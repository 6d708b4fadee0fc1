import { findHostileInput, MAX_INPUT_DEPTH } from './hostile-input';

/** `{ a: { a: … } }` with `levels` objects. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let level = 1; level < levels; level++) value = { a: value };
  return value;
}

const fields = (value: unknown, location: 'body' | 'query' = 'body') => findHostileInput(value, location).map((problem) => problem.field);

describe('findHostileInput', () => {
  it('accepts ordinary bodies, with lines and tabs in body text and emoji', () => {
    expect(findHostileInput({ data: { to: 'a@b.example', body: 'Line 1\r\nLine 2\tend 🎟️', tags: ['x', 1, null, true] } }, 'body')).toEqual([]);
  });

  it.each([
    ['a NUL in a string', { data: { subject: 'Hi\u0000' } }, ['data.subject']],
    ['a NUL in an array item', { jobs: [{ data: { to: 'ok' } }, { data: { to: 'a\u0000' } }] }, ['jobs.1.data.to']],
    ['a bell character', { data: { body: 'ding\u0007' } }, ['data.body']],
    ['an escape character', { name: '\u001b[31mred' }, ['name']],
    ['a lone high surrogate', { data: { body: 'x\uD800' } }, ['data.body']],
    ['a lone low surrogate', { data: { body: '\uDC00x' } }, ['data.body']],
    ['a NUL in a key', { data: { data: { 'a\u0000b': 1 } } }, ['data.data']],
    ['a line feed in a key', { data: { 'x\ny': 1 } }, ['data']],
    ['a lone surrogate in a key', { data: { '\uD800': 1 } }, ['data']],
    ['two bad fields', { a: '\u0000', b: { c: '\u0001' } }, ['a', 'b.c']],
  ])('names %s', (_case, body, expected) => {
    expect(fields(body)).toEqual(expected);
  });

  it('allows no control character at all in a query value, not even a tab', () => {
    expect(fields({ errorType: 'card\tdeclined', queue: 'money' }, 'query')).toEqual(['errorType']);
    expect(fields({ errorType: 'x\u007f' }, 'query')).toEqual(['errorType']);
    expect(fields({ errorType: 'card_declined' }, 'query')).toEqual([]);
  });

  it(`accepts ${MAX_INPUT_DEPTH} levels and refuses one more, naming where`, () => {
    expect(fields(nested(MAX_INPUT_DEPTH))).toEqual([]);
    expect(fields(nested(MAX_INPUT_DEPTH + 1))).toEqual([Array(MAX_INPUT_DEPTH).fill('a').join('.')]);
  });

  it('walks a body nested far beyond any stack without overflowing', () => {
    const deep = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000));
    expect(findHostileInput(deep, 'body')).toHaveLength(1);
  });

  it('prefixes a named parameter', () => {
    expect(findHostileInput('a\u0000', 'param', 'id')).toEqual([{ field: 'id', message: 'id must not contain NUL or other control characters' }]);
  });
});
