import { DataSource } from 'typeorm';
import { TenantScope } from '../../src/database/tenant-scope';
import { EffectJournal } from '../../src/persistence/effect-journal';
import { ClaimOutcome, JobAttempts } from '../../src/persistence/job-attempts';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { VALID_PAYLOADS } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * Grouped claims (group commit) on real PostgreSQL: concurrent claims share one transaction,
 * and grouping never lets two attempts hold one fence. An API-only app, so no worker of its own
 * claims the jobs; a database of its own, so the records it leaves claimed meet no other file.
 */
const database = privateDatabaseForThisFile();

describe('grouped claims', () => {
  let test: TestApp;
  let attempts: JobAttempts;
  let journal: EffectJournal;
  let transactions: number;

  beforeAll(async () => {
    test = await startTestApp({ env: { ...database.env(), APP_ROLE: 'api' } });
    attempts = test.app.get(JobAttempts);
    journal = test.app.get(EffectJournal);
    // Counts the tenant transactions the real TenantScope opens; each still runs unchanged.
    const scope = test.app.get(TenantScope);
    const run = scope.run.bind(scope);
    scope.run = ((tenantId, work) => {
      transactions++;
      return run(tenantId, work);
    }) as TenantScope['run'];
  });

  afterAll(async () => {
    await test?.close();
  });

  async function submitPayments(tenant: ReturnType<typeof newTenant>, count: number): Promise<string[]> {
    const jobs = Array.from({ length: count }, (_, index) => ({
      type: 'payment-process',
      data: { ...VALID_PAYLOADS['payment-process'], orderId: `ord_group_${tenant.tenantId.slice(0, 8)}_${index}` },
    }));
    const { body } = await test.http().post('/jobs/batch').set('Authorization', `Bearer ${tenant.venueAdmin}`).send({ jobs }).expect(201);
    return (body.jobs as Array<{ id: string }>).map((job) => job.id);
  }

  const readJournal = (manager: Parameters<Parameters<TenantScope['run']>[1]>[0], ids: string[]) => journal.stepsIn(manager, ids);

  it('claims 20 jobs asked for at once in one transaction, each with its own fence, attempt and journal', async () => {
    const tenant = newTenant();
    const ids = await submitPayments(tenant, 20);
    // A step an earlier attempt of the fourth job recorded: it comes back with that job only.
    await test.app.get(DataSource).query(
      `INSERT INTO critical_jobs (tenant_id, job_id, step, details, fence) VALUES ($1, $2, 'payment_intent_created', $3, 0)`,
      [tenant.tenantId, ids[3], JSON.stringify({ paymentIntentId: 'pi_earlier' })],
    );
    transactions = 0;
    const outcomes = await Promise.all(ids.map((id, index) => attempts.claim(tenant.tenantId, id, 'worker-a', index + 1, readJournal)));
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(ids.map(() => 'claimed'));
    expect(transactions).toBe(1);
    const rows: Array<{ id: string; fence: string; attempts: number; lease_owner: string; status: string }> = await test.app
      .get(DataSource)
      .query(`SELECT id, fence, attempts, lease_owner, status FROM jobs WHERE id = ANY($1::uuid[])`, [ids]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    ids.forEach((id, index) => {
      expect(byId.get(id)).toMatchObject({ fence: '1', attempts: index + 1, lease_owner: 'worker-a', status: 'active' });
      const outcome = outcomes[index] as Extract<ClaimOutcome<Map<string, object>>, { kind: 'claimed' }>;
      expect(outcome.data).toMatchObject({ orderId: `ord_group_${tenant.tenantId.slice(0, 8)}_${index}` });
      expect(outcome.also).toEqual(index === 3 ? new Map([['payment_intent_created', { paymentIntentId: 'pi_earlier' }]]) : new Map());
    });
  });

  it('gives one of two simultaneous claims of the same job the fence; the other finds it leased', async () => {
    const tenant = newTenant();
    const [id] = await submitPayments(tenant, 1);
    const outcomes = await Promise.all([
      attempts.claim(tenant.tenantId, id, 'worker-a', 1, readJournal),
      attempts.claim(tenant.tenantId, id, 'worker-a', 1, readJournal),
    ]);
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['claimed', 'leased']);
    const [row] = await test.app.get(DataSource).query(`SELECT fence FROM jobs WHERE id = $1`, [id]);
    expect(row.fence).toBe('1');
  });

  it('answers each job in a mixed group for itself: claimed, leased elsewhere, missing', async () => {
    const tenant = newTenant();
    const [free, held] = await submitPayments(tenant, 2);
    expect(await attempts.claim(tenant.tenantId, held, 'worker-b', 1)).toMatchObject({ kind: 'claimed' });
    const missing = '00000000-0000-4000-8000-00000000abcd';
    const [first, second, third] = await Promise.all([
      attempts.claim(tenant.tenantId, free, 'worker-a', 1, readJournal),
      attempts.claim(tenant.tenantId, held, 'worker-a', 2, readJournal),
      attempts.claim(tenant.tenantId, missing, 'worker-a', 1, readJournal),
    ]);
    expect(first).toMatchObject({ kind: 'claimed', fence: 1 });
    expect(second).toMatchObject({ kind: 'leased' });
    expect(third).toEqual({ kind: 'missing' });
  });
});
