import { DataSource } from 'typeorm';
import { expectErrorBody } from '../support/error-body';
import { auth, submitOk } from '../support/job-requests';
import { DECLINED_PAYMENT } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { settledBullJob, waitFor, waitForJobToFinish, waitForQueuesIdle } from '../support/wait-for';

/**
 * Retries of one failed job that arrive together (two `POST /jobs/:id/retry` and a
 * `POST /dlq/:id/retry`): the job's record is claimed by a status-guarded update, so exactly
 * one request puts the job back and the others get 409.
 */
describe('Concurrent retries of one job', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp();
  });
  afterAll(() => test?.close());

  const deadLetters = (jobId: string): Promise<{ id: string }[]> =>
    test.app.get(DataSource).query('SELECT id FROM dead_letter_jobs WHERE job_id = $1', [jobId]);

  it('accepts exactly one of them; the job is put back and runs once', async () => {
    const tenant = newTenant();
    const { id } = await submitOk(test, tenant.user, 'payment-process', DECLINED_PAYMENT);
    expect(await waitForJobToFinish(test, tenant.user, id)).toMatchObject({ status: 'failed' });
    await settledBullJob(test, 'money', id);
    const [entry] = await waitFor(async () => {
      const rows = await deadLetters(id);
      return rows.length ? rows : undefined;
    });

    const responses = await Promise.all([
      test.http().post(`/jobs/${id}/retry`).set(auth(tenant.venueAdmin)),
      test.http().post(`/jobs/${id}/retry`).set(auth(tenant.venueAdmin)),
      test.http().post(`/dlq/${entry.id}/retry`).set(auth(tenant.venueAdmin)),
    ]);

    const accepted = responses.filter((response) => response.status === 202);
    const refused = responses.filter((response) => response.status !== 202);
    expect(responses.map((response) => response.status).sort()).toEqual([202, 409, 409]);
    expect(accepted[0].body).toEqual({ id, queue: 'money', type: 'payment-process', status: 'waiting' });
    for (const response of refused) expectErrorBody(response, 409, 'Conflict');

    // The one requeued run fails again (the card is still declined) and is dead-lettered once.
    await waitFor(async () => ((await deadLetters(id)).some((row) => row.id !== entry.id) ? true : undefined));
    await waitForQueuesIdle(test, ['money']);
    expect((await deadLetters(id)).filter((row) => row.id !== entry.id)).toHaveLength(1);
    expect(await waitForJobToFinish(test, tenant.user, id)).toMatchObject({ status: 'failed', attempts: 1 });
  });
});
