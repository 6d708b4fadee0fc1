import fc from 'fast-check';
import { VALID_PAYLOADS } from '../support/payloads';
import type { FuzzRequest } from './http-client';
import { hostileKey, hostileString, hostileValue, ODD_DATES, rawBodies, tainted } from './hostile-values';
import type { Principal } from './principals';
import type { FuzzRoute } from './routes';
import { WEBHOOK_URL, type TenantIds, type World } from './world';

/** A generated request with what the verdict needs to know about it. */
export interface FuzzCase {
  route: FuzzRoute;
  principal: Principal;
  /** The value of each path parameter, unencoded. */
  pathValues: Record<string, string>;
  /** The parsed body, when it was generated as JSON (undefined for raw or no body). */
  json?: unknown;
  request: FuzzRequest;
}

const CLIENT_TYPES = Object.keys(VALID_PAYLOADS) as (keyof typeof VALID_PAYLOADS)[];
const QUEUES = ['money', 'communication', 'background'];
const PROVIDERS = ['stripe', 'twilio', 'sendgrid', 'solana-rpc'];

const jobBody = fc.record({
  type: fc.constantFrom(...CLIENT_TYPES),
  options: fc.option(fc.record({ priority: fc.constantFrom('low', 'normal', 'high', 'critical'), attempts: fc.integer({ min: 1, max: 5 }) }, { requiredKeys: [] }), { nil: undefined }),
}).map(({ type, options }) => ({ type, data: structuredClone(VALID_PAYLOADS[type]), ...(options ? { options } : {}) }));

/** A valid body per route (by the document's path), the starting point of most mutations. */
function baseBody(route: FuzzRoute, world: World): fc.Arbitrary<unknown> {
  const ids = [...world.a.deadLetters, ...world.b.deadLetters];
  switch (`${route.method} ${route.template}`) {
    case 'POST /jobs': return jobBody;
    case 'POST /jobs/batch': return fc.array(jobBody, { minLength: 1, maxLength: 3 }).map((jobs) => ({ jobs }));
    case 'POST /webhook-endpoints': return fc.constant({ url: WEBHOOK_URL, events: ['refund.completed'], description: 'fuzz' });
    case 'PATCH /webhook-endpoints/{id}': return fc.constant({ description: 'fuzz', enabled: false });
    case 'POST /schedules':
    case 'PATCH /schedules/{id}':
      return fc.record({ name: fc.string({ minLength: 1, maxLength: 20 }), type: fc.constantFrom(...CLIENT_TYPES) }).map(({ name, type }) => ({
        name, cron: '0 0 1 1 *', timezone: 'UTC', jobType: type, jobData: structuredClone(VALID_PAYLOADS[type]), enabled: false,
      }));
    case 'POST /dlq/retry':
      return fc.oneof(fc.subarray(ids, { minLength: 1 }).map((picked) => ({ ids: picked })), fc.constant({ filter: { queue: 'money' }, limit: 1 }));
    case 'POST /webhooks/stripe':
      return fc.constant({ id: 'evt_fuzz', object: 'event', type: 'payment_intent.succeeded', data: { object: { id: 'pi_1', metadata: { tenantId: world.b.tenantId } } } });
    default:
      return fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 2 });
  }
}

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, item]) => pathsOf(item, [...prefix, key]))];
}

type Action = 'replace' | 'delete' | 'add' | 'taint';

function valueAt(body: unknown, path: Path): unknown {
  return path.reduce<unknown>((value, step) => (value as Record<string | number, unknown>)[step], body);
}

/**
 * Replaces, removes, taints (`taint`: the value given is the old one with a control character
 * in it) or adds under a hostile key the value at one place of a copy of the body.
 */
function mutate(body: unknown, path: Path, action: Action, key: string, value: unknown): unknown {
  if (action === 'taint') action = 'replace';
  if (path.length === 0) return action === 'replace' ? value : body;
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (action === 'replace') parent[last] = value;
  else if (action === 'delete') delete parent[last];
  else if (parent[last] !== null && typeof parent[last] === 'object' && !Array.isArray(parent[last])) {
    Object.defineProperty(parent[last], key, { value, enumerable: true, configurable: true, writable: true });
  } else parent[last] = value;
  return copy;
}

function mutatedBody(route: FuzzRoute, world: World): fc.Arbitrary<unknown> {
  return baseBody(route, world).chain((body) => {
    const paths = pathsOf(body);
    const mutation = fc.record({
      path: fc.constantFrom(...paths), action: fc.constantFrom<Action>('replace', 'delete', 'add', 'taint', 'taint'), key: hostileKey, value: hostileValue,
    }).chain((picked) => {
      const old = valueAt(body, picked.path);
      if (picked.action !== 'taint') return fc.constant(picked);
      const text = typeof old === 'string' ? old : JSON.stringify(old) ?? '';
      return tainted(text).map((value) => ({ ...picked, value: typeof old === 'string' || old === null || typeof old !== 'object' ? value : old }));
    });
    return fc.oneof(
      { weight: 1, arbitrary: fc.constant([] as { path: Path; action: Action; key: string; value: unknown }[]) },
      { weight: 5, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) },
    ).map((mutations) =>
      mutations.reduce((current, { path, action, key, value }) => {
        try {
          return mutate(current, path, action, key, value);
        } catch {
          return current;
        }
      }, body));
  });
}

/** Ids of every kind: the tenants' own, the other tenant's, unknown ones, and strings that are no id. */
function idValues(world: World, template: string): fc.Arbitrary<string> {
  const of = (tenant: TenantIds) => {
    if (template.startsWith('/jobs')) return tenant.jobs;
    if (template.startsWith('/webhook-endpoints')) return tenant.webhookEndpoints;
    if (template.startsWith('/schedules')) return tenant.schedules;
    if (template.startsWith('/dlq')) return tenant.deadLetters;
    return [];
  };
  const known = [...of(world.a), ...of(world.b)];
  return fc.oneof(
    { weight: 4, arbitrary: known.length ? fc.constantFrom(...known) : fc.uuid() },
    { weight: 1, arbitrary: known.length ? fc.constantFrom(...known).map((id) => id.toUpperCase()) : fc.uuid() },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: hostileString },
  );
}

function pathValue(world: World, route: FuzzRoute, name: string): fc.Arbitrary<string> {
  if (name === 'id') return idValues(world, route.template);
  if (name === 'name') return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...QUEUES) }, { weight: 1, arbitrary: hostileString });
  if (name === 'key') return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...PROVIDERS) }, { weight: 1, arbitrary: hostileString });
  return hostileString;
}

function plausibleQueryValue(name: string): fc.Arbitrary<string> {
  switch (name) {
    case 'from': case 'to': return fc.oneof(fc.constantFrom(...ODD_DATES), fc.date({ noInvalidDate: true }).map((date) => date.toISOString()));
    case 'limit': case 'offset': return fc.oneof(fc.integer({ min: -5, max: 2000 }).map(String), fc.constantFrom('1.5', '1e3', '0x10', ''));
    case 'queue': case 'name': return fc.constantFrom(...QUEUES);
    case 'format': return fc.constantFrom('json', 'csv', 'xml');
    case 'state': return fc.constantFrom('waiting', 'active', 'completed', 'failed', 'delayed', 'paused');
    case 'acknowledged': return fc.constantFrom('true', 'false', 'yes', '1');
    case 'severity': return fc.constantFrom('info', 'warning', 'critical');
    default: return fc.string({ maxLength: 10 });
  }
}

const EXTRA_QUERIES = ['__proto__[polluted]', 'constructor[prototype][polluted]', 'includePersonalData', 'tenantId', 'limit[]', 'from[$gt]'];

function queryString(route: FuzzRoute): fc.Arbitrary<string> {
  const one = (name: string) => fc.oneof(plausibleQueryValue(name), hostileString, plausibleQueryValue(name).chain(tainted)).map((value) => [name, value] as const);
  const declared = route.queryParams.map((name) => fc.option(fc.array(one(name), { minLength: 1, maxLength: 2 }), { nil: undefined, freq: 2 }));
  const extra = fc.option(fc.tuple(fc.constantFrom(...EXTRA_QUERIES), fc.oneof(fc.constant('true'), hostileString)), { nil: undefined, freq: 3 });
  return fc.tuple(fc.tuple(...declared), extra).map(([lists, added]) => {
    const pairs = lists.flatMap((list) => list ?? []);
    if (added) pairs.push(added);
    return pairs.length ? `?${pairs.map(([name, value]) => `${encoded(name)}=${encoded(value)}`).join('&')}` : '';
  });
}

/**
 * Percent-encodes the value's UTF-8 bytes (a lone surrogate becomes U+FFFD); printable values
 * with their own `%` sequences ('%zz', '%00') go as they are, so malformed escapes reach the server.
 */
export function encoded(value: string): string {
  if (/^[!-~]*$/.test(value) && value.includes('%') && !/[#&?/=+]/.test(value)) return value;
  return [...Buffer.from(value, 'utf8')].map((byte) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

type Body = { json?: unknown; raw?: string; contentType: string };

function bodyOf(route: FuzzRoute, world: World): fc.Arbitrary<Body | undefined> {
  const json = (value: unknown): Body => ({ json: value, raw: JSON.stringify(value) ?? 'null', contentType: 'application/json' });
  if (!route.hasBody) {
    return fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostileValue.map(json) });
  }
  return fc.oneof(
    { weight: 6, arbitrary: mutatedBody(route, world).map(json) },
    { weight: 2, arbitrary: hostileValue.map(json) },
    { weight: 2, arbitrary: rawBodies.map((raw) => ({ raw, contentType: 'application/json' })) },
    { weight: 1, arbitrary: fc.tuple(mutatedBody(route, world), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/json; charset=utf-7'))
      .map(([value, contentType]) => ({ json: undefined, raw: JSON.stringify(value) ?? 'null', contentType })) },
  );
}

function headerValues(route: FuzzRoute): fc.Arbitrary<Record<string, string>> {
  const printable = hostileString.map((value) => value.replace(/[^\x20-\x7e]/g, '?'));
  return fc.record({
    'x-request-id': fc.option(printable, { nil: undefined, freq: 4 }),
    'stripe-signature': route.headerParams.includes('Stripe-Signature')
      ? fc.option(fc.oneof(printable, fc.constant(`t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`)), { nil: undefined, freq: 4 })
      : fc.constant(undefined),
  }, { requiredKeys: [] }).map((headers) => Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) as Record<string, string>);
}

/** Who sends a request to a route: one arbitrary for all, or one chosen per route. */
export type PrincipalsOf = fc.Arbitrary<Principal> | ((route: FuzzRoute) => fc.Arbitrary<Principal>);

export function caseArbitrary(world: World, routes: FuzzRoute[], principals: PrincipalsOf): fc.Arbitrary<FuzzCase> {
  return fc.constantFrom(...routes).chain((route) => fc.record({
    principal: typeof principals === 'function' ? principals(route) : principals,
    pathValues: fc.record(Object.fromEntries(route.pathParams.map((name) => [name, pathValue(world, route, name)]))) as fc.Arbitrary<Record<string, string>>,
    query: queryString(route),
    body: bodyOf(route, world),
    headers: headerValues(route),
  }).map(({ principal, pathValues, query, body, headers }) => {
    const path = route.template.replace(/\{(\w+)\}/g, (_, name: string) => encoded(pathValues[name]));
    const request: FuzzRequest = {
      method: route.method,
      route: `${route.method} ${route.template}`,
      path: `${path}${query}`,
      headers: {
        ...headers,
        ...(principal.authorization ? { authorization: principal.authorization } : {}),
        ...(body ? { 'content-type': body.contentType } : {}),
      },
      body: body?.raw,
    };
    return { route, principal, pathValues, json: body?.json, request };
  }));
}
