import type { Response } from 'supertest';
import { TenantScope } from '../../src/database/tenant-scope';
import { MAX_INPUT_DEPTH } from '../../src/common/validation/hostile-input';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { expectErrorBody } from '../support/error-body';
import { auth } from '../support/job-requests';
import { newTenant, startTestApp, TestApp } from '../support/test-app';

type Tenant = ReturnType<typeof newTenant>;
type Role = 'admin' | 'venueAdmin' | 'user';
type Json = Record<string, unknown>;

/** A route, a request it accepts, and the string fields and objects of that request a hostile variant poisons. */
interface RouteCase {
  route: string;
  role: Role;
  method: 'get' | 'post' | 'patch';
  path: (tenant: Tenant) => string;
  body?: Json;
  query?: Record<string, string>;
  okStatus: number;
  strings: string[];
  objects?: string[];
  dates?: string[];
}

const ROUTES: RouteCase[] = [
  {
    route: 'POST /jobs (e-mail)', role: 'user', method: 'post', path: () => '/jobs', okStatus: 201,
    body: { type: 'email-send', data: { to: 'fan@example.com', subject: 'Your tickets', body: 'Line one\nLine two\tend' } },
    strings: ['data.subject', 'data.body'], objects: ['data'],
  },
  {
    route: 'POST /jobs (template data)', role: 'user', method: 'post', path: () => '/jobs', okStatus: 201,
    body: { type: 'email-send', data: { to: 'fan@example.com', template: 'generic', data: { name: 'Ada', lines: ['a', 'b'] } } },
    strings: ['data.data.name', 'data.data.lines.1'], objects: ['data.data'],
  },
  {
    route: 'POST /jobs (analytics, Redis-only)', role: 'user', method: 'post', path: () => '/jobs', okStatus: 201,
    body: { type: 'analytics-process', data: { event: 'ticket.scanned', properties: { gate: 'A' }, occurredAt: '2026-11-27T20:00:00Z' } },
    strings: ['data.properties.gate'], objects: ['data.properties'], dates: ['data.occurredAt'],
  },
  {
    route: 'POST /jobs/batch', role: 'venueAdmin', method: 'post', path: () => '/jobs/batch', okStatus: 201,
    body: { jobs: [{ type: 'sms-send', data: { to: '+14155550123', body: 'Your code is 4711' } }] },
    strings: ['jobs.0.data.body'], objects: ['jobs.0.data'],
  },
  {
    route: 'POST /schedules', role: 'venueAdmin', method: 'post', path: () => '/schedules', okStatus: 201,
    body: { name: 'nightly', cron: '0 3 * * *', jobType: 'analytics-process', jobData: { event: 'nightly', properties: { a: 'b' } } },
    strings: ['name', 'cron', 'jobData.properties.a'], objects: ['jobData.properties'],
  },
  {
    route: 'POST /webhook-endpoints', role: 'venueAdmin', method: 'post', path: () => '/webhook-endpoints', okStatus: 201,
    body: { url: 'https://venue.example.com/hooks', events: ['payment.completed'], description: 'Box office' },
    strings: ['description', 'url', 'events.0'], objects: [''],
  },
  {
    route: 'POST /dlq/retry', role: 'venueAdmin', method: 'post', path: () => '/dlq/retry', okStatus: 200,
    body: { filter: { errorType: 'card_declined', from: '2026-11-01T00:00:00Z' } },
    strings: ['filter.errorType'], objects: ['filter'], dates: ['filter.from'],
  },
  ...['/dlq', '/dlq/stats', '/dlq/failures-by-error', '/dlq/export'].map((path): RouteCase => ({
    route: `GET ${path}`, role: 'venueAdmin', method: 'get', path: () => path, okStatus: 200,
    query: { errorType: 'card_declined', from: '2026-11-01', to: '2026-12-01T10:00:00+01:00' },
    strings: ['errorType'], dates: ['from', 'to'],
  })),
  {
    route: 'GET /alerts', role: 'venueAdmin', method: 'get', path: () => '/alerts', okStatus: 200,
    query: { severity: 'warning', from: '2026-11-01T00:00:00Z', to: '2026-12-01' },
    strings: ['severity'], dates: ['from', 'to'],
  },
  {
    route: 'GET /queues/:name/jobs', role: 'user', method: 'get', path: () => '/queues/money/jobs', okStatus: 200,
    query: { state: 'failed', limit: '5' }, strings: ['state', 'limit'],
  },
  {
    route: 'GET /schedules', role: 'venueAdmin', method: 'get', path: () => '/schedules', okStatus: 200,
    query: { limit: '5' }, strings: ['limit'],
  },
];

/** Strings a client can send that no field validator expected, each with the characters it carries. */
const HOSTILE_STRINGS: [string, (text: string) => string][] = [
  ['a NUL', (text) => `${text}\u0000`],
  ['a NUL alone', () => '\u0000'],
  ['a control character (BEL)', (text) => `${text}\u0007`],
  ['an escape sequence', (text) => `\u001b[2J${text}`],
  ['a lone surrogate', (text) => `${text}\uD83D`],
];

/** ISO 8601 forms class-validator's IsISO8601 accepted and `Date` reads as nothing or as another day. */
const ODD_DATES = ['2026-W05-3', '2026-W05', '20261201T101010Z', '2026-335', '2026-02-30T10:00:00Z', '2026-12-01T24:00:00Z', '2026-12', '2026-12-01T10:00:00,5Z'];

function nested(levels: number): Json {
  let value: Json = { leaf: 'x' };
  for (let level = 1; level < levels; level++) value = { a: value };
  return value;
}

function setAt(target: Json, path: string, change: (current: unknown) => unknown): Json {
  const copy = structuredClone(target);
  if (path === '') return change(copy) as Json;
  const keys = path.split('.');
  let node = copy as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  node[last] = change(node[last]);
  return copy;
}

interface Variant {
  label: string;
  route: RouteCase;
  body?: Json;
  query?: Record<string, string>;
  /** The field the 400 must name (a prefix of it, for depth). */
  field: string;
  fieldIsPrefix?: boolean;
}

function variantsOf(route: RouteCase): Variant[] {
  const variants: Variant[] = [];
  const source = route.body ?? route.query ?? {};
  const place = (changed: Json) => (route.body ? { body: changed } : { query: changed as Record<string, string> });
  for (const field of route.strings) {
    for (const [name, poison] of HOSTILE_STRINGS) {
      // A query carries no lone surrogate: percent-encoding cannot express one.
      if (route.query && name === 'a lone surrogate') continue;
      variants.push({ label: `${name} in ${field}`, route, field, ...place(setAt(source, field, (value) => poison(String(value)))) });
    }
  }
  if (route.query) {
    const [field] = route.strings;
    variants.push({ label: `a tab in ${field}`, route, field, ...place(setAt(source, field, (value) => `${String(value)}\t`)) });
    variants.push({ label: `a line feed in ${field}`, route, field, ...place(setAt(source, field, (value) => `${String(value)}\n`)) });
    variants.push({ label: 'a NUL in a parameter name', route, field: '', ...place({ ...source, 'x\u0000y': '1' }) });
  }
  for (const field of route.objects ?? []) {
    const add = (extra: Json) => (value: unknown) => ({ ...(value as Json), ...extra });
    variants.push({ label: `a NUL in a key of ${field || 'the body'}`, route, field, ...place(setAt(source, field, add({ 'a\u0000b': 'x' }))) });
    variants.push({ label: `a line feed in a key of ${field || 'the body'}`, route, field, ...place(setAt(source, field, add({ 'a\nb': 'x' }))) });
    variants.push({
      label: `nesting deeper than ${MAX_INPUT_DEPTH} levels in ${field || 'the body'}`, route, fieldIsPrefix: true,
      field: field ? `${field}.deep` : 'deep', ...place(setAt(source, field, add({ deep: nested(MAX_INPUT_DEPTH + 4) }))),
    });
  }
  for (const field of route.dates ?? []) {
    for (const date of ODD_DATES) variants.push({ label: `the date ${date} in ${field}`, route, field, ...place(setAt(source, field, () => date)) });
  }
  return variants;
}

describe('Hostile input on every route: 400 naming the field, nothing created', () => {
  let test: TestApp;
  /** Sends only hostile requests: afterwards it must own no row and no Bull job. */
  const hostile = newTenant();

  beforeAll(async () => {
    test = await startTestApp();
  });
  afterAll(() => test?.close());

  function send(tenant: Tenant, route: RouteCase, request: { body?: Json; query?: Record<string, string> }): Promise<Response> {
    const call = test.http()[route.method](route.path(tenant)).set(auth(tenant[route.role]));
    if (request.query) call.query(request.query);
    return request.body ? call.send(request.body) : call;
  }

  it.each(ROUTES.map((route) => [route.route, route] as const))('%s accepts the request the variants start from', async (_name, route) => {
    const response = await send(newTenant(), route, route);
    expect(response.status).toBe(route.okStatus);
  });

  const variants = ROUTES.flatMap(variantsOf);
  it.each(variants.map((variant) => [variant.route.route, variant.label, variant] as const))(
    '%s: %s → 400 naming the field',
    async (_route, _label, variant) => {
      const response = await send(hostile, variant.route, variant);
      expectErrorBody(response, 400, 'Bad Request');
      const fields: string[] = response.body.details.map((detail: { field: string }) => detail.field);
      if (variant.fieldIsPrefix) {
        expect(fields).toEqual([expect.stringMatching(new RegExp(`^${variant.field.replace(/\./g, '\\.')}(\\.|$)`))]);
      } else {
        expect(fields).toEqual([variant.field]);
      }
    },
  );

  it('a body nested 100 000 levels deep is a 400, not a crash', async () => {
    const depth = 100_000;
    const raw = `{"type":"email-send","data":{"to":"fan@example.com","template":"generic","data":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`;
    const response = await test.http().post('/jobs').set(auth(hostile.user)).set('Content-Type', 'application/json').send(raw);
    expectErrorBody(response, 400, 'Bad Request');
    expect(response.body.details).toEqual([expect.objectContaining({ field: expect.stringMatching(/^data\.data\.a/) })]);
  });

  it('a route parameter with a NUL is a 400 naming it', async () => {
    const response = await test.http().get('/jobs/%00').set(auth(hostile.user));
    expectErrorBody(response, 400, 'Bad Request');
    expect(response.body.details).toEqual([expect.objectContaining({ field: 'id' })]);
  });

  it('the refused requests created nothing: no row of any table, no Bull job', async () => {
    const scope = test.app.get(TenantScope);
    const counts = await scope.run(hostile.tenantId, async (manager) => {
      const tables = ['jobs', 'schedules', 'webhook_endpoints', 'dead_letter_jobs', 'idempotency_keys', 'job_outbox', 'alert_history'];
      return Object.fromEntries(await Promise.all(tables.map(async (table) => {
        const [row] = await manager.query(`SELECT count(*)::int AS count FROM ${table}`);
        return [table, row.count] as const;
      })));
    });
    expect(counts).toEqual({ jobs: 0, schedules: 0, webhook_endpoints: 0, dead_letter_jobs: 0, idempotency_keys: 0, job_outbox: 0, alert_history: 0 });
    const bullJobs = await Promise.all(test.app.get(QueueRegistry).all().map(({ queue }) =>
      queue.getJobs(['waiting', 'delayed', 'active', 'paused', 'completed', 'failed'])));
    expect(bullJobs.flat().filter((job) => job?.data?.tenantId === hostile.tenantId)).toEqual([]);
    const repeatables = await Promise.all(test.app.get(QueueRegistry).all().map(({ queue }) => queue.getRepeatableJobs()));
    expect(repeatables.flat().filter((job) => job.key.includes(hostile.tenantId))).toEqual([]);
  });

});
