import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DECLINED_PAYMENT, VALID_PAYLOADS } from '../support/payloads';
import { send, type FuzzResponse } from './http-client';
import { principalsFor, type Principal } from './principals';

/** What the fuzz knows exists: each tenant's ids, so requests can aim at the other tenant's. */
export interface TenantIds {
  tenantId: string;
  jobs: string[];
  /** Jobs submitted by the tenant's first user (A only): the second user must not reach them. */
  firstUsersJobs: string[];
  webhookEndpoints: string[];
  schedules: string[];
  deadLetters: string[];
  creators: Record<string, string>;
}

export interface World {
  port: number;
  principals: ReturnType<typeof principalsFor>;
  a: TenantIds;
  b: TenantIds;
  /** The `sub` that submitted each seeded job. */
  jobCreators: Record<string, string>;
}

/** A loopback address nothing listens on: deliveries fail fast and never leave the machine. */
export const WEBHOOK_URL = 'http://127.0.0.1:9/fuzz-hook';

async function call(port: number, principal: Principal, method: string, path: string, body?: unknown): Promise<FuzzResponse> {
  return send(port, {
    method, route: path, path,
    headers: { 'content-type': 'application/json', ...(principal.authorization ? { authorization: principal.authorization } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function created(port: number, principal: Principal, method: string, path: string, body: unknown): Promise<string> {
  const response = await call(port, principal, method, path, body);
  if (response.status !== 200 && response.status !== 201) {
    throw new Error(`seeding ${method} ${path} as ${principal.name} answered ${response.status}: ${response.text}`);
  }
  return (JSON.parse(response.text) as { id: string }).id;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`seeding: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function seedTenant(port: number, tenant: string, venue: Principal, user: Principal, secondUser?: Principal): Promise<TenantIds> {
  const firstUsersJobs = [
    await created(port, user, 'POST', '/jobs', { type: 'payment-process', data: { ...VALID_PAYLOADS['payment-process'], orderId: `ord_${randomUUID()}` } }),
    await created(port, user, 'POST', '/jobs', { type: 'sms-send', data: VALID_PAYLOADS['sms-send'] }),
  ];
  const otherJobs = secondUser ? [await created(port, secondUser, 'POST', '/jobs', { type: 'email-send', data: VALID_PAYLOADS['email-send'] })] : [];
  const declined = await created(port, venue, 'POST', '/jobs', { type: 'payment-process', data: { ...DECLINED_PAYMENT, orderId: `ord_${randomUUID()}` } });
  const webhookEndpoints = [await created(port, venue, 'POST', '/webhook-endpoints', { url: WEBHOOK_URL, events: ['refund.completed'] })];
  const schedules = [await created(port, venue, 'POST', '/schedules', {
    name: `fuzz-${randomUUID()}`, cron: '0 0 1 1 *', jobType: 'analytics-process', jobData: VALID_PAYLOADS['analytics-process'], enabled: false,
  })];
  const deadLetter = await waitFor('the declined payment reaching the dead-letter queue', async () => {
    const page = await call(port, venue, 'GET', '/dlq?limit=50');
    const entries = (JSON.parse(page.text) as { items?: { id: string; jobId: string }[] }).items ?? [];
    return entries.find((entry) => entry.jobId === declined)?.id;
  });
  const creators: Record<string, string> = { [declined]: venue.sub ?? '' };
  for (const id of firstUsersJobs) creators[id] = user.sub ?? '';
  for (const id of otherJobs) creators[id] = secondUser?.sub ?? '';
  return { tenantId: tenant, jobs: [...firstUsersJobs, ...otherJobs, declined], firstUsersJobs, webhookEndpoints, schedules, deadLetters: [deadLetter], creators };
}

/**
 * Copies of a dead-letter entry, so an export is larger than the socket buffers and a client
 * that never reads keeps it open. Written straight into the fuzz's own database.
 */
export async function padDeadLetters(databaseUrl: string, deadLetterId: string, copies: number): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO dead_letter_jobs (tenant_id, job_id, queue, type, data, idempotency_key, error_type, error_message, attempts, first_failed_at, last_failed_at)
       SELECT tenant_id, gen_random_uuid(), queue, type, data || jsonb_build_object('padding', repeat('x', 600)), NULL, error_type, error_message, attempts, first_failed_at, last_failed_at
       FROM dead_letter_jobs, generate_series(1, $2) WHERE id = $1`,
      [deadLetterId, copies],
    );
  } finally {
    await client.end();
  }
}

export async function seedWorld(port: number): Promise<World> {
  const tenants = { a: randomUUID(), b: randomUUID() };
  const principals = principalsFor(tenants);
  const { good } = principals;
  const a = await seedTenant(port, tenants.a, good.venueA, good.userA1, good.userA2);
  const b = await seedTenant(port, tenants.b, good.venueB, good.userB);
  return { port, principals, a, b, jobCreators: { ...a.creators, ...b.creators } };
}
