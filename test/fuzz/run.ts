/**
 * `npm run fuzz [-- --seed N --requests N --concurrency N]`: hostile requests, generated with
 * fast-check from the live OpenAPI document, against the real service on its own database and
 * Redis prefix. See README, Tests. Exits non-zero on any 5xx, wrongly accepted request, row or
 * Bull job left by a refused request, or a slow or unhealthy service at the end.
 */
import fc from 'fast-check';
import Redis from 'ioredis';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import { VALID_PAYLOADS } from '../support/payloads';
import { TEST_JWT_SECRET } from '../support/test-env';
import { createFuzzDatabase } from './fuzz-database';
import { differences, deleteKeys, footprintOf, settled, type Stores } from './footprint';
import { closeClient, send, type FuzzRequest, type FuzzResponse } from './http-client';
import type { Principal } from './principals';
import { describeFailure, statusTable, type Outcome } from './report';
import { caseArbitrary, type FuzzCase } from './request-arbitraries';
import { routeName, routesOf, type FuzzRoute } from './routes';
import { buildServiceForTests } from '../support/service-build';
import { startService, type ServiceProcess } from './service-process';
import { closeSlowReaders, openSlowReaders } from './slow-readers';
import { leakIn, mustRefuse } from './verdicts';
import { padDeadLetters, seedWorld, type World } from './world';

const DEFAULT_SEED = 20261201;
const QUICK_MS = 5_000;
const SLOW_READERS = 4;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} needs a whole number`);
  return value;
}

async function runAll(service: ServiceProcess, world: World, phase: string, cases: FuzzCase[], concurrency: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const index = next++;
      const fuzz = cases[index];
      const response = await send(service.port, fuzz.request);
      outcomes.push({ phase, index, fuzz, response, problem: problemOf(fuzz, response, world) });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes.sort((x, y) => x.index - y.index);
}

function problemOf(fuzz: FuzzCase, response: FuzzResponse, world: World): string | undefined {
  if (response.status <= 0) return `no answer: ${response.text}`;
  if (response.status >= 500) return `${response.status} server error`;
  if (response.status < 200 || response.status >= 300) return undefined;
  const refusal = mustRefuse(fuzz, world);
  if (refusal) return `accepted (${response.status}) but must be refused: ${refusal}`;
  const leak = leakIn(fuzz, world, response.text);
  return leak ? `accepted (${response.status}) and ${leak}` : undefined;
}

function call(service: ServiceProcess, principal: Principal, method: string, path: string, body?: unknown): Promise<FuzzResponse> {
  const request: FuzzRequest = {
    method, route: `${method} ${path}`, path,
    headers: { 'content-type': 'application/json', ...(principal.authorization ? { authorization: principal.authorization } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
  return send(service.port, request, QUICK_MS * 4);
}

/** The service answers its probe and a normal submission and read, each quickly, while slow readers hang on. */
async function finalChecks(service: ServiceProcess, world: World): Promise<string[]> {
  const problems: string[] = [];
  const expect = (what: string, response: FuzzResponse, statuses: number[]) => {
    const line = `${what}: ${response.status} in ${response.ms} ms`;
    console.log(`  ${line}`);
    if (!statuses.includes(response.status) || response.ms > QUICK_MS) problems.push(`${line} (wanted ${statuses.join('/')} within ${QUICK_MS} ms): ${response.text.slice(0, 300)}`);
  };
  const { userA1 } = world.principals.good;
  expect('GET /health/ready', await call(service, { name: 'no token' }, 'GET', '/health/ready'), [200]);
  const submitted = await call(service, userA1, 'POST', '/jobs', { type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] });
  expect('POST /jobs (user of A)', submitted, [200, 201]);
  const id = submitted.status < 300 ? (JSON.parse(submitted.text) as { id: string }).id : world.a.firstUsersJobs[0];
  expect('GET /jobs/:id (user of A)', await call(service, userA1, 'GET', `/jobs/${id}`), [200]);
  return problems;
}

async function main(): Promise<number> {
  const seed = option('seed', DEFAULT_SEED);
  const total = option('requests', 2400);
  const concurrency = Math.max(1, option('concurrency', 6));
  const refusals = Math.round(total * 0.3);
  console.log(`fuzz seed: ${seed} (reproduce with: npm run fuzz -- --seed ${seed} --requests ${total})`);

  const started = Date.now();
  await buildServiceForTests();
  const database = await createFuzzDatabase();
  const prefix = `qs-fuzz-${process.pid}`;
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const stores: Stores = { databaseUrl: database.url, redis, prefix };
  const logFile = join(tmpdir(), `queue-service-fuzz-${process.pid}.log`);
  const requestsFile = join(tmpdir(), `queue-service-fuzz-${process.pid}.requests.jsonl`);
  let service: ServiceProcess | undefined;
  const failures: string[] = [];
  try {
    service = await startService({
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_PREFIX: prefix,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'error',
      STRIPE_WEBHOOK_SECRET: 'whsec_fuzz0123456789abcdef',
      WEBHOOK_ALLOW_LOOPBACK: 'true',
      QUEUE_METRICS_SNAPSHOT_INTERVAL_MS: '0',
      MONITORING_INTERVAL_MS: '0',
      IDEMPOTENCY_CLEANUP_CRON: 'off',
      DLQ_RETENTION_CRON: 'off',
      // Every refused request is the point here: the per-address limit on them would answer most with 429.
      API_RATE_LIMIT_REFUSED: '1000000',
    }, logFile);
    console.log(`service on 127.0.0.1:${service.port} after ${Date.now() - started} ms; its log: ${logFile}`);

    const document = JSON.parse((await send(service.port, { method: 'GET', route: 'GET /docs-json', path: '/docs-json', headers: {} })).text) as OpenAPIObject;
    // The dashboard is HTML behind a cookie, outside the document; everything else is fuzzed.
    const routes: FuzzRoute[] = routesOf(document);

    const world = await seedWorld(service.port);
    await padDeadLetters(database.url, world.a.deadLetters[0], 4000);
    await settled(stores);
    console.log(`seeded two tenants (A ${world.a.tenantId}, B ${world.b.tenantId}) after ${Date.now() - started} ms`);

    const { good, bad, all } = world.principals;
    const refusedCases = fc.sample(
      caseArbitrary(world, routes, fc.constantFrom(...all)).filter((fuzz) => mustRefuse(fuzz, world) !== undefined),
      { seed, numRuns: refusals },
    );
    // Mostly callers the route lets in, so the hostile parameters and bodies reach validation and handlers.
    const principals = (route: FuzzRoute) => {
      const admitted = Object.values(good).filter((principal) => !route.roles || route.roles.some((role) => principal.roles?.includes(role)));
      return fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...admitted) },
        { weight: 1, arbitrary: fc.constantFrom(...Object.values(good)) },
        { weight: 1, arbitrary: fc.constantFrom(...bad) },
      );
    };
    const mixedCases = fc.sample(caseArbitrary(world, routes, principals), { seed: seed + 1, numRuns: total - refusals });

    // 1. Requests that must all be refused: nothing may be left behind by them.
    const before = await footprintOf(stores);
    const refused = await runAll(service, world, 'refusals', refusedCases, concurrency);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const left = differences(before, await footprintOf(stores));
    if (left.length) failures.push(`refused requests left rows or Bull jobs behind:\n${left.map((line) => `  ${line}`).join('\n')}`);
    console.log(`refusals: ${refused.length} requests, footprint ${left.length ? 'CHANGED' : 'unchanged'} (${Object.keys(before).length} counts) after ${Date.now() - started} ms`);

    // 2. Everything mixed, while a few clients hang on exports they never read.
    const slowReaders = await openSlowReaders(service.port, good.venueA.authorization ?? '',
      Array.from({ length: SLOW_READERS }, (_, index) => `/dlq/export?format=${index % 2 ? 'csv' : 'json'}`));
    let mixed: Outcome[] = [];
    try {
      mixed = await runAll(service, world, 'mixed', mixedCases, concurrency);
      console.log(`mixed: ${mixed.length} requests after ${Date.now() - started} ms; final checks with ${SLOW_READERS} slow readers open:`);
      failures.push(...(await finalChecks(service, world)));
    } finally {
      closeSlowReaders(slowReaders);
    }

    const outcomes = [...refused, ...mixed];
    writeFileSync(requestsFile, outcomes.map(({ phase, index, fuzz, response }) => JSON.stringify({
      phase, index, route: fuzz.request.route, principal: fuzz.principal.name, path: fuzz.request.path,
      body: fuzz.request.body?.slice(0, 2000), status: response.status, ms: response.ms, answer: response.text.slice(0, 500),
    })).join('\n'));
    console.log(`every request and its answer: ${requestsFile}`);
    console.log(`\nrequests by route and status (seed ${seed}):\n${statusTable(outcomes)}\n`);
    const slowest = [...outcomes].sort((x, y) => y.response.ms - x.response.ms).slice(0, 5);
    console.log(`slowest: ${slowest.map((outcome) => `${outcome.fuzz.request.route} ${outcome.response.status} ${outcome.response.ms} ms`).join('; ')}`);
    const untouched = routes.map(routeName).filter((name) => !outcomes.some((outcome) => outcome.fuzz.request.route === name));
    if (untouched.length) failures.push(`routes never fuzzed: ${untouched.join(', ')}`);
    const wrong = outcomes.filter((outcome) => outcome.problem);
    const live = service;
    for (const outcome of wrong.slice(0, 40)) failures.push(describeFailure(outcome, live.errorsOf(outcome.response.requestId)));
    if (wrong.length > 40) failures.push(`… and ${wrong.length - 40} more`);
    const kinds = new Map<string, number>();
    for (const outcome of wrong) kinds.set(outcome.problem!.replace(/ [0-9a-f-]{36}/g, ' <id>'), (kinds.get(outcome.problem!.replace(/ [0-9a-f-]{36}/g, ' <id>')) ?? 0) + 1);
    if (wrong.length) failures.push(`failing requests by kind:\n${[...kinds].map(([kind, count]) => `  ${count} × ${kind}`).join('\n')}`);
    console.log(`${outcomes.length} requests in ${Date.now() - started} ms, ${wrong.length} wrong`);
  } finally {
    closeClient();
    await service?.stop();
    await deleteKeys(redis, prefix).catch(() => undefined);
    redis.disconnect();
    await database.drop();
  }
  if (failures.length) {
    console.log(`\nFUZZ FAILED (seed ${seed}):\n${failures.join('\n')}`);
    return 1;
  }
  // Kept only when something failed, for its stack traces and inputs.
  rmSync(logFile, { force: true });
  rmSync(requestsFile, { force: true });
  console.log(`fuzz passed (seed ${seed})`);
  return 0;
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
