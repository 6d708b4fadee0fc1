import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { TenantScope } from '../../src/database/tenant-scope';
import { EffectJournal } from '../../src/persistence/effect-journal';
import { JobAttempts } from '../../src/persistence/job-attempts';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { VALID_PAYLOADS } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * The worker's statements that name jobs by id and keys by key stay on the primary keys when the
 * planner's statistics are wrong in the way a queue table makes them wrong: ANALYZE ran while
 * every job was finished and before this tenant existed, so the tenant and its unfinished jobs
 * are estimated at about one row (migrations 009 and 010). Each statement is captured as the
 * real code sends it, then planned again under the tenant's row-level security with EXPLAIN.
 */
const database = privateDatabaseForThisFile();

const OTHER_TENANT_JOBS = 50_000;
const WATCHED: Record<string, RegExp> = {
  // Submissions: the keys' claim (with the holders of the keys it could not claim) and the records' insert, one statement.
  submission: /^WITH claimed_keys AS \(\s*INSERT INTO idempotency_keys/,
  claim: /SET fence = jobs\.fence \+ 1/,
  // The records and their keys complete in one statement: both patterns find it.
  completion: /^WITH completed AS \(\s*UPDATE jobs SET status = 'completed'/,
  journal: /^INSERT INTO critical_jobs/,
  'idempotency results': /completed_keys AS \(\s*UPDATE idempotency_keys SET status = 'completed'/,
  'journal read': /^SELECT job_id, step, details FROM critical_jobs/,
};
/** The index each table is to be reached by, and the column it is looked up by. */
const LOOKUP_INDEXES: Record<string, { index: string; column: string }> = {
  jobs: { index: 'jobs_pkey', column: 'id' },
  idempotency_keys: { index: 'idempotency_keys_pkey', column: 'key' },
  critical_jobs: { index: 'critical_jobs_job_id_step_key', column: 'job_id' },
};

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

const scansOf = (node: PlanNode): PlanNode[] => [
  // The scans of the watched tables (the UPDATE or INSERT node itself names its table too).
  ...(node['Relation Name'] && LOOKUP_INDEXES[node['Relation Name']] && node['Node Type'] !== 'ModifyTable' ? [node] : []),
  ...(node.Plans ?? []).flatMap(scansOf),
];

describe('plans of the worker statements under stale statistics', () => {
  let test: TestApp;
  const captured: Array<{ text: string; values: unknown[] }> = [];
  const originalQuery = Client.prototype.query;

  beforeAll(async () => {
    test = await startTestApp({ env: { ...database.env(), APP_ROLE: 'api' } });
    const established = newTenant();
    const db = test.app.get(DataSource);
    await db.query(
      `INSERT INTO jobs (id, tenant_id, queue, type, status, priority, data, max_attempts, origin, finished_at)
       SELECT gen_random_uuid(), $1, 'money', 'payment-process', 'completed', 0, '{}', 3, 'api', now()
       FROM generate_series(1, ${OTHER_TENANT_JOBS})`,
      [established.tenantId],
    );
    await db.query(
      `INSERT INTO idempotency_keys (tenant_id, key, job_id, request_hash, status, expires_at)
       SELECT $1, 'key-' || n, gen_random_uuid(), 'hash', 'completed', now() + interval '1 day' FROM generate_series(1, ${OTHER_TENANT_JOBS}) n`,
      [established.tenantId],
    );
    await db.query(
      `INSERT INTO critical_jobs (tenant_id, job_id, step, details, fence)
       SELECT $1, id, 'payment_intent_created', '{}', 1 FROM jobs WHERE tenant_id = $1`,
      [established.tenantId],
    );
    await db.query(`ANALYZE jobs`);
    await db.query(`ANALYZE idempotency_keys`);
    await db.query(`ANALYZE critical_jobs`);
  });

  afterAll(async () => {
    Client.prototype.query = originalQuery;
    await test?.close();
  });

  it('submits, claims, journals and completes a new tenant\'s jobs, and stores their keys\' results, through look-ups by id and key', async () => {
    const tenant = newTenant();
    Client.prototype.query = function capture(this: Client, ...args: unknown[]) {
      const [config, values] = args as [string | { text: string; values?: unknown[] }, unknown[] | undefined];
      const text = typeof config === 'string' ? config : config?.text;
      if (typeof text === 'string' && Object.values(WATCHED).some((pattern) => pattern.test(text.trim()))) {
        captured.push({ text: text.trim(), values: (typeof config === 'string' ? values : config.values) ?? [] });
      }
      return (originalQuery as (...all: unknown[]) => unknown).apply(this, args);
    } as typeof Client.prototype.query;
    const ids = await Promise.all(Array.from({ length: 10 }, async (_, index) => {
      const { body } = await test.http().post('/jobs').set('Authorization', `Bearer ${tenant.venueAdmin}`).send({
        type: 'payment-process',
        options: { idempotencyKey: `plan-${index}` },
        data: { ...VALID_PAYLOADS['payment-process'], orderId: `ord_plan_${index}` },
      }).expect(201);
      return body.id as string;
    }));

    const attempts = test.app.get(JobAttempts);
    const journal = test.app.get(EffectJournal);
    const claims = await Promise.all(ids.map((id) => attempts.claim(tenant.tenantId, id, 'worker-plan', 1)));
    const refs = claims.map((claim, index) => {
      if (claim.kind !== 'claimed') throw new Error(`job ${ids[index]} was not claimed: ${claim.kind}`);
      return { tenantId: tenant.tenantId, jobId: ids[index], fence: claim.fence };
    });
    await Promise.all(refs.map((ref) => journal.record(ref, 'payment_intent_created', { paymentIntentId: `pi_${ref.jobId}` })));
    // What a re-claim reads of its earlier attempts.
    await test.app.get(TenantScope).run(tenant.tenantId, (manager) => journal.stepsIn(manager, ids));
    await Promise.all(refs.map((ref, index) => attempts.complete(ref, { paid: true }, `plan-${index}`)));
    Client.prototype.query = originalQuery;

    const scope = test.app.get(TenantScope);
    for (const [what, pattern] of Object.entries(WATCHED)) {
      const statement = captured.find((one) => pattern.test(one.text));
      expect({ what, captured: statement !== undefined }).toEqual({ what, captured: true });
      const [{ 'QUERY PLAN': [plan] }] = await scope.run(tenant.tenantId, (manager) =>
        manager.query(`EXPLAIN (FORMAT JSON) ${statement!.text}`, statement!.values),
      );
      const scans = scansOf((plan as { Plan: PlanNode }).Plan).map((node) => {
        // A bitmap heap scan reaches its rows through the bitmap index scan under it.
        const access = node['Node Type'] === 'Bitmap Heap Scan' ? node.Plans?.[0] ?? node : node;
        return {
          what,
          relation: node['Relation Name'],
          byIndex: ['Index Scan', 'Index Only Scan', 'Bitmap Heap Scan'].includes(node['Node Type']),
          index: access['Index Name'],
          byKey: new RegExp(`\\b${LOOKUP_INDEXES[node['Relation Name']!].column} = `).test(access['Index Cond'] ?? ''),
        };
      });
      expect(scans.length).toBeGreaterThan(0);
      for (const scan of scans) {
        expect(scan).toEqual({ ...scan, byIndex: true, index: LOOKUP_INDEXES[scan.relation!].index, byKey: true });
      }
    }
  });
});
