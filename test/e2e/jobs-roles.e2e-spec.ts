import { DataSource } from 'typeorm';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { expectErrorBody } from '../support/error-body';
import { auth, submit } from '../support/job-requests';
import { VALID_PAYLOADS } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';

type Tenant = ReturnType<typeof newTenant>;

/**
 * Each job type names the roles that may submit it (JOB_TYPES' submitters, README "Who may
 * submit which type"): POST /jobs, POST /jobs/batch and schedules refuse the others with 403
 * naming the field and the roles, and nothing of a refused request is recorded or queued.
 */
describe('Who may submit which job type', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await startTestApp();
  });
  afterAll(() => test.close());

  const recordsOf = async (tenant: Tenant) =>
    Number((await test.app.get(DataSource).query(`SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1`, [tenant.tenantId]))[0].n);
  const backgroundJobsOf = async (tenant: Tenant) => {
    const jobs = await test.app.get(QueueRegistry).get('background').getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
    return jobs.filter((job) => job?.data.tenantId === tenant.tenantId).length;
  };
  const expectRefused = (response: Parameters<typeof expectErrorBody>[0], details: object[]) => {
    expectErrorBody(response, 403, 'Forbidden');
    expect(response.body.details).toEqual(details);
  };

  it.each([
    ['refund-process', 'venue_admin, admin'],
    ['cleanup', 'venue_admin, admin'],
    ['scheduled-task', 'admin'],
  ] as const)('a user may not submit %s: 403 naming type and the roles (%s), nothing recorded or queued', async (type, roles) => {
    const tenant = newTenant();
    const response = await submit(test, tenant.user, { type, data: VALID_PAYLOADS[type] });
    expectRefused(response, [{ field: 'type', message: `${type} may be submitted only by: ${roles}` }]);
    expect(await recordsOf(tenant)).toBe(0);
    expect(await backgroundJobsOf(tenant)).toBe(0);
  });

  it('a venue admin may not submit a scheduled-task (service maintenance): 403', async () => {
    const tenant = newTenant();
    const response = await submit(test, tenant.venueAdmin, { type: 'scheduled-task', data: VALID_PAYLOADS['scheduled-task'] });
    expectRefused(response, [{ field: 'type', message: 'scheduled-task may be submitted only by: admin' }]);
    expect(await backgroundJobsOf(tenant)).toBe(0);
  });

  it('a priority above normal is for venue_admin and admin: a user gets 403 naming options.priority', async () => {
    const tenant = newTenant();
    for (const priority of ['high', 'critical']) {
      const response = await submit(test, tenant.user, { type: 'email-send', data: VALID_PAYLOADS['email-send'], options: { priority } });
      expectRefused(response, [{ field: 'options.priority', message: `priority ${priority} may be asked only by: venue_admin, admin` }]);
    }
    expect(await recordsOf(tenant)).toBe(0);
    await submit(test, tenant.user, { type: 'email-send', data: VALID_PAYLOADS['email-send'], options: { priority: 'low' } }).expect(201);
    await submit(test, tenant.venueAdmin, { type: 'email-send', data: VALID_PAYLOADS['email-send'], options: { priority: 'critical' } }).expect(201);
    expect(await recordsOf(tenant)).toBe(2);
  });

  it('cleanup of target all is the platform operator\'s; a venue admin cleans one target of its tenant', async () => {
    const tenant = newTenant();
    const all = await submit(test, tenant.venueAdmin, { type: 'cleanup', data: { target: 'all', olderThanDays: 30 } });
    expectRefused(all, [{ field: 'data.target', message: 'cleanup of target all may be submitted only by: admin' }]);
    expect(await backgroundJobsOf(tenant)).toBe(0);
    await submit(test, tenant.venueAdmin, { type: 'cleanup', data: { target: 'dead-letter', olderThanDays: 30 } }).expect(201);
    await submit(test, tenant.admin, { type: 'cleanup', data: { target: 'all', olderThanDays: 30 } }).expect(201);
  });

  it('a batch names the refused item and field; nothing of the batch is accepted', async () => {
    const tenant = newTenant();
    const response = await test.http().post('/jobs/batch').set(auth(tenant.venueAdmin)).send({
      jobs: [
        { type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] },
        { type: 'email-send', data: VALID_PAYLOADS['email-send'], options: { priority: 'high' } },
        { type: 'scheduled-task', data: VALID_PAYLOADS['scheduled-task'] },
        { type: 'cleanup', data: { target: 'all', olderThanDays: 7 } },
      ],
    });
    expectRefused(response, [
      { field: 'jobs.2.type', message: 'scheduled-task may be submitted only by: admin' },
      { field: 'jobs.3.data.target', message: 'cleanup of target all may be submitted only by: admin' },
    ]);
    expect(await recordsOf(tenant)).toBe(0);
    expect(await backgroundJobsOf(tenant)).toBe(0);
  });

  it('a schedule\'s job is checked like a submitted one: 403 naming jobType or jobData.target, no schedule written', async () => {
    const tenant = newTenant();
    const schedule = { name: 'nightly', cron: '0 30 2 * * *' };
    const post = (token: string, body: object) => test.http().post('/schedules').set(auth(token)).send({ ...schedule, ...body });
    const cleanAll = await post(tenant.venueAdmin, { jobType: 'cleanup', jobData: { target: 'all', olderThanDays: 30 } });
    expectRefused(cleanAll, [{ field: 'jobData.target', message: 'cleanup of target all may be submitted only by: admin' }]);
    const maintenance = await post(tenant.venueAdmin, { jobType: 'scheduled-task', jobData: { task: 'queue-metrics-snapshot' } });
    expectRefused(maintenance, [{ field: 'jobType', message: 'scheduled-task may be submitted only by: admin' }]);
    const { body: created } = await post(tenant.venueAdmin, { jobType: 'cleanup', jobData: { target: 'dead-letter', olderThanDays: 30 } }).expect(201);
    // Nor can an allowed schedule be changed into a refused one.
    const changed = await test.http().patch(`/schedules/${created.id}`).set(auth(tenant.venueAdmin)).send({ jobData: { target: 'all', olderThanDays: 30 } });
    expectRefused(changed, [{ field: 'jobData.target', message: 'cleanup of target all may be submitted only by: admin' }]);
    const { body: page } = await test.http().get('/schedules').set(auth(tenant.venueAdmin)).expect(200);
    expect(page.items.map((item: { jobData: object }) => item.jobData)).toEqual([{ target: 'dead-letter', olderThanDays: 30 }]);
  });

  it('the OpenAPI document names the roles of each type', async () => {
    const { body: document } = await test.http().get('/docs-json').expect(200);
    const description = (name: string): string => document.components.schemas[name].description;
    expect(description('RefundProcessJobSubmission')).toContain('Submitted by: venue_admin, admin');
    expect(description('CleanupJobSubmission')).toContain('`data.target` `all`: admin');
    expect(description('ScheduledTaskJobSubmission')).toContain('Submitted by: admin');
    expect(description('PaymentProcessJobSubmission')).toContain('Submitted by: user, venue_admin, admin');
  });
});
