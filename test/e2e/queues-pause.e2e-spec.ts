import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { expectErrorBody } from '../support/error-body';
import { auth, getJob, idsOf, listJobs, submitOk } from '../support/job-requests';
import { expectQueueStatus, queueRow, resumeAll } from '../support/queue-state';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitForJobToFinish } from '../support/wait-for';

/**
 * Pausing writes the `queues` row every app re-applies at start-up: this file has a database of
 * its own, so another file's app never starts with a queue this one paused.
 */
const database = privateDatabaseForThisFile();

describe('Queues', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: database.env() });
  });
  afterAll(async () => {
    await resumeAll(test);
    await test.close();
  });

  describe('pause and resume', () => {
    it.each(['pause', 'resume', 'clear'])('%s is for admins only (403 for venue admins and users)', async (action) => {
      const tenant = newTenant();
      for (const token of [tenant.venueAdmin, tenant.user]) {
        const response = await test.http().post(`/queues/communication/${action}`).set(auth(token));
        expectErrorBody(response, 403, 'Forbidden');
        expect(response.body.message).toBe('Requires one of the roles: admin');
      }
      expect((await queueRow(test, 'communication')).paused).toBe(false);
    });

    it('holds jobs submitted while paused until resumed, and keeps the paused state on record', async () => {
      const tenant = newTenant();
      const paused = await test.http().post('/queues/communication/pause').set(auth(tenant.admin)).expect(200);
      try {
        expectQueueStatus(paused.body, 'communication');
        expect(paused.body.paused).toBe(true);
        expect(await queueRow(test, 'communication')).toEqual({ paused: true, paused_at: expect.any(Date) });
        expect((await test.http().get('/queues/communication/status').set(auth(tenant.user)).expect(200)).body.paused).toBe(true);
        expect((await test.http().get('/queues').set(auth(tenant.user)).expect(200)).body[1]).toMatchObject({ name: 'communication', paused: true });

        const email = await submitOk(test, tenant.user, 'email-send');
        expect(email.status).toBe('waiting');
        // Workers are running: a job on another queue completes meanwhile (one without follow-ups:
        // a payment's webhook event would wait on the paused queue too) …
        const payment = await submitOk(test, tenant.user, 'nft-transfer');
        expect((await waitForJobToFinish(test, tenant.user, payment.id)).status).toBe('completed');
        // … while the e-mail still waits.
        expect((await getJob(test, tenant.user, email.id).expect(200)).body).toMatchObject({ status: 'waiting', attempts: 0, startedAt: null });
        expect(idsOf(await listJobs(test, tenant.user, 'communication', { state: 'waiting' }))).toEqual([email.id]);

        const resumed = await test.http().post('/queues/communication/resume').set(auth(tenant.admin)).expect(200);
        expect(resumed.body).toMatchObject({ name: 'communication', paused: false });
        expect(await queueRow(test, 'communication')).toEqual({ paused: false, paused_at: null });
        expect((await waitForJobToFinish(test, tenant.user, email.id)).status).toBe('completed');
      } finally {
        await test.http().post('/queues/communication/resume').set(auth(tenant.admin));
      }
    });

    it('counts the jobs waiting in a paused queue as waiting', async () => {
      const tenant = newTenant();
      await test.http().post('/queues/communication/pause').set(auth(tenant.admin)).expect(200);
      try {
        const before = (await test.http().get('/queues/communication/status').set(auth(tenant.user)).expect(200)).body.counts;
        const sms = await submitOk(test, tenant.user, 'sms-send');
        expect((await getJob(test, tenant.user, sms.id)).body.status).toBe('waiting');
        const after = (await test.http().get('/queues/communication/status').set(auth(tenant.user)).expect(200)).body.counts;
        expect(after.waiting).toBe(before.waiting + 1);
      } finally {
        await test.http().post('/queues/communication/resume').set(auth(tenant.admin));
      }
    });

    it('pausing twice and resuming twice is harmless', async () => {
      const admin = newTenant().admin;
      try {
        for (let round = 0; round < 2; round += 1) {
          expect((await test.http().post('/queues/background/pause').set(auth(admin)).expect(200)).body.paused).toBe(true);
        }
      } finally {
        for (let round = 0; round < 2; round += 1) {
          expect((await test.http().post('/queues/background/resume').set(auth(admin)).expect(200)).body.paused).toBe(false);
        }
      }
      expect((await queueRow(test, 'background')).paused).toBe(false);
    });

    it('a service that starts while a queue is paused on record starts with it paused', async () => {
      const tenant = newTenant();
      await test.http().post('/queues/background/pause').set(auth(tenant.admin)).expect(200);
      let restarted: TestApp | undefined;
      try {
        restarted = await startTestApp({ env: database.env() });
        const status = await restarted.http().get('/queues/background/status').set(auth(tenant.user)).expect(200);
        expect(status.body.paused).toBe(true);
        const { id } = await submitOk(restarted, tenant.user, 'analytics-process');
        await restarted.http().post('/queues/background/resume').set(auth(tenant.admin)).expect(200);
        expect((await waitForJobToFinish(restarted, tenant.user, id)).status).toBe('completed');
      } finally {
        await restarted?.close();
        await test.http().post('/queues/background/resume').set(auth(tenant.admin));
      }
      expect((await queueRow(test, 'background')).paused).toBe(false);
    });
  });
});
