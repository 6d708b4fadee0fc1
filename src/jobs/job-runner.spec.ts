import { Logger } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import {
  JobAlreadyFinishedError, JobCancelledError, JobDeferral, PermanentJobError, StaleAttemptError, TransientJobError,
} from '../job-definitions/job-errors';
import { JOB_EVENTS, JobCompletedEvent, JobEventBase, JobFailedEvent } from '../job-definitions/job-events';
import type { JobStatus } from '../job-definitions/job-status';
import { providerKeyFor } from '../job-definitions/provider-key';
import { FAKE_MANAGER, fakeJob, runnerWithFakes } from './job-runner.fakes';

/** Every lifecycle event the runner emits, by kind. */
function recordEvents(events: EventEmitter2) {
  const seen = { started: [] as JobEventBase[], completed: [] as JobCompletedEvent[], failed: [] as JobFailedEvent[] };
  events.on(JOB_EVENTS.started, (event: JobEventBase) => seen.started.push(event));
  events.on(JOB_EVENTS.completed, (event: JobCompletedEvent) => seen.completed.push(event));
  events.on(JOB_EVENTS.failed, (event: JobFailedEvent) => seen.failed.push(event));
  return seen;
}

function setUp() {
  const runner = runnerWithFakes();
  return { ...runner, seen: recordEvents(runner.events) };
}

beforeAll(() => Logger.overrideLogger(false));

describe('JobRunner: a claimed job that succeeds', () => {
  it('completes the record with the result and the idempotency key, emits completed once and returns the result', async () => {
    const { run, attempts, handlers, seen } = setUp();
    handlers.work = async () => ({ paymentIntentId: 'pi_1' });

    await expect(run(fakeJob())).resolves.toEqual({ paymentIntentId: 'pi_1' });

    expect(attempts.completes).toEqual([
      { ref: { tenantId: 'tenant-a', jobId: 'job-1', fence: 7 }, result: { paymentIntentId: 'pi_1' }, idempotencyKey: 'key-1' },
    ]);
    expect(seen.completed).toHaveLength(1);
    expect(seen.completed[0]).toMatchObject({ jobId: 'job-1', attempt: 1, result: { paymentIntentId: 'pi_1' } });
    expect(attempts.fails).toStrictEqual([]);
  });

  it("hands the handler provider keys of the tenant, the job and the step, never the client's idempotency key", async () => {
    const { run, handlers } = setUp();
    const keys: string[] = [];
    handlers.work = async (_payload, context) => {
      keys.push(context.providerKey('payment_intent_created'), context.providerKey('payment_intent_created'));
      return {};
    };
    await run(fakeJob({ data: { idempotencyKey: 'client-key-1' } }));
    expect(keys).toEqual([
      providerKeyFor({ tenantId: 'tenant-a', jobId: 'job-1' }, 'payment_intent_created'),
      providerKeyFor({ tenantId: 'tenant-a', jobId: 'job-1' }, 'payment_intent_created'),
    ]);
    expect(keys[0]).not.toContain('client-key-1');
  });

  it('runs the payload on record, not the copy in Redis', async () => {
    const { run, handlers } = setUp();
    await run(fakeJob());
    expect(handlers.calls).toEqual([{ type: 'payment-process', payload: { fromRecord: true } }]);
  });

  it('writes planned follow-ups in the completing transaction and wakes the relay once', async () => {
    const { run, handlers, followUps, relay } = setUp();
    handlers.work = async (_payload, context) => {
      await context.enqueue({ name: 'receipt', type: 'email-send', data: {} });
      await context.enqueue({ name: 'webhook', type: 'webhook-deliver', data: {} });
      return { ok: true };
    };

    await run(fakeJob());

    expect(followUps.recorded).toHaveLength(1);
    expect(followUps.recorded[0].manager).toBe(FAKE_MANAGER);
    expect(followUps.recorded[0].planned.map((job) => job.summary.id)).toEqual(['job-1:receipt', 'job-1:webhook']);
    expect(relay.wakes).toBe(1);
  });

  it('refuses the same follow-up name enqueued twice at once, instead of losing one', async () => {
    const { run, handlers, attempts } = setUp();
    handlers.work = async (_payload, context) => {
      await Promise.all([
        context.enqueue({ name: 'receipt', type: 'email-send', data: { to: 'a@example.com' } }),
        context.enqueue({ name: 'receipt', type: 'email-send', data: { to: 'b@example.com' } }),
      ]);
      return { ok: true };
    };

    await expect(run(fakeJob())).rejects.toThrow('Follow-up receipt was enqueued twice');
    expect(attempts.completes).toStrictEqual([]);
  });

  it('plans no follow-up nobody would hear, and writes the others', async () => {
    const { run, handlers, followUps, relay } = setUp();
    followUps.unheard.add('webhook:payment.completed');
    handlers.work = async (_payload, context) => {
      await context.enqueue({ name: 'receipt', type: 'email-send', data: {} });
      await context.enqueue({ name: 'webhook:payment.completed', type: 'webhook-event', data: {} });
      return { ok: true };
    };

    await run(fakeJob());

    expect(followUps.requests.map((request) => request.name)).toEqual(['receipt']);
    expect(followUps.recorded[0].planned.map((job) => job.summary.id)).toEqual(['job-1:receipt']);
    expect(relay.wakes).toBe(1);
  });

  it('leaves the relay asleep when the handler planned no follow-up', async () => {
    const { run, relay, followUps } = setUp();
    await run(fakeJob());
    expect(followUps.recorded).toStrictEqual([]);
    expect(relay.wakes).toBe(0);
  });

  it('fails the job for good when the handler enqueues the same follow-up name twice', async () => {
    const { run, handlers, attempts, deadLetters, relay } = setUp();
    handlers.work = async (_payload, context) => {
      await context.enqueue({ name: 'receipt', type: 'email-send', data: {} });
      await context.enqueue({ name: 'receipt', type: 'email-send', data: {} });
      return { ok: true };
    };

    await expect(run(fakeJob())).rejects.toThrow('Follow-up receipt was enqueued twice');

    expect(attempts.completes).toStrictEqual([]);
    expect(attempts.fails).toEqual([expect.objectContaining({ status: 'failed', error: expect.objectContaining({ type: 'duplicate_follow_up', permanent: true }) })]);
    expect(deadLetters.entries).toHaveLength(1);
    expect(relay.wakes).toBe(0);
  });
});

describe('JobRunner: deferral accounting', () => {
  it('gives back the attempt of a claimed job the handler deferred, without failing it', async () => {
    const { run, handlers, attempts, deadLetters, seen } = setUp();
    const deferral = new JobDeferral('stripe rate limit', 250);
    handlers.work = async () => Promise.reject(deferral);
    const job = fakeJob({ attemptsMade: 2 });

    await expect(run(job)).rejects.toBe(deferral);

    expect(job.attemptsMade).toBe(1);
    expect(attempts.defers).toEqual([{ tenantId: 'tenant-a', jobId: 'job-1', fence: 7 }]);
    expect(attempts.fails).toStrictEqual([]);
    expect(deadLetters.entries).toStrictEqual([]);
    expect(seen.failed).toStrictEqual([]);
    expect(job.discarded).toBe(false);
  });

  it('gives back the attempt of a job another worker holds, with no record write', async () => {
    const { run, attempts, deadLetters } = setUp();
    attempts.outcome = { kind: 'leased', retryInMs: 1200 };
    const job = fakeJob({ attemptsMade: 1 });

    await expect(run(job)).rejects.toBeInstanceOf(JobDeferral);

    expect(job.attemptsMade).toBe(0);
    expect(attempts.defers).toStrictEqual([]);
    expect(attempts.fails).toStrictEqual([]);
    expect(deadLetters.entries).toStrictEqual([]);
  });
});

describe('JobRunner: a job leased by another worker', () => {
  it('defers for as long as the other lease has left, without running the handler', async () => {
    const { run, attempts, handlers } = setUp();
    attempts.outcome = { kind: 'leased', retryInMs: 1200 };

    const error = await run(fakeJob()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(JobDeferral);
    expect((error as JobDeferral).delayMs).toBe(1200);
    expect(handlers.calls).toStrictEqual([]);
  });
});

describe('JobRunner: a job that finished earlier', () => {
  it('answers the stored result of a completed record without running or completing again', async () => {
    const { run, attempts, handlers, seen } = setUp();
    attempts.outcome = { kind: 'finished', status: 'completed', result: { paymentIntentId: 'pi_earlier' } };

    await expect(run(fakeJob())).resolves.toEqual({ paymentIntentId: 'pi_earlier' });

    expect(handlers.calls).toStrictEqual([]);
    expect(attempts.completes).toStrictEqual([]);
    expect(seen.started).toStrictEqual([]);
    expect(seen.completed).toStrictEqual([]);
  });

  it('answers an empty result when the completed record holds none', async () => {
    const { run, attempts } = setUp();
    attempts.outcome = { kind: 'finished', status: 'completed', result: null };
    await expect(run(fakeJob())).resolves.toEqual({});
  });
});

describe('JobRunner: a job already finished otherwise', () => {
  it.each<JobStatus>(['failed', 'cancelled'])('discards a re-delivery of a %s job and books nothing', async (status) => {
    const { run, attempts, handlers, deadLetters, seen } = setUp();
    attempts.outcome = { kind: 'finished', status, result: null };
    const job = fakeJob();

    await expect(run(job)).rejects.toBeInstanceOf(JobAlreadyFinishedError);

    expect(job.discarded).toBe(true);
    expect(handlers.calls).toStrictEqual([]);
    expect(attempts.writes).toStrictEqual([]);
    expect(deadLetters.entries).toStrictEqual([]);
    expect(seen.failed).toStrictEqual([]);
  });
});

describe('JobRunner: a cancelled job', () => {
  it('marks a persisted job cancelled before claiming it, discards it, and dead-letters nothing', async () => {
    const { run, attempts, handlers, cancellations, deadLetters, seen } = setUp();
    cancellations.requested.add('job-1');
    const job = fakeJob();

    await expect(run(job)).rejects.toBeInstanceOf(JobCancelledError);

    expect(attempts.cancelledUnclaimed).toEqual([{ tenantId: 'tenant-a', jobId: 'job-1' }]);
    expect(attempts.claims).toStrictEqual([]);
    expect(attempts.fails).toStrictEqual([]);
    expect(handlers.calls).toStrictEqual([]);
    expect(job.discarded).toBe(true);
    expect(deadLetters.entries).toStrictEqual([]);
    expect(seen.failed).toEqual([expect.objectContaining({ jobId: 'job-1', cancelled: true, final: true })]);
  });

  it('lets the claim answer when the cancellation changed nothing (the record is over, or a live attempt holds it)', async () => {
    const { run, attempts, handlers, cancellations, seen } = setUp();
    cancellations.requested.add('job-1');
    attempts.cancelUnclaimedAnswer = false;
    attempts.outcome = { kind: 'finished', status: 'completed', result: { paymentIntentId: 'pi_done' } };
    const job = fakeJob();

    await expect(run(job)).resolves.toEqual({ paymentIntentId: 'pi_done' });

    expect(attempts.claims).toHaveLength(1);
    expect(handlers.calls).toStrictEqual([]);
    expect(job.discarded).toBe(false);
    expect(seen.failed).toStrictEqual([]);
  });

  it('writes no record for a cancelled Redis-only job', async () => {
    const { run, attempts, cancellations, deadLetters } = setUp();
    cancellations.requested.add('job-1');
    const job = fakeJob({ data: { type: 'cleanup' } });

    await expect(run(job)).rejects.toBeInstanceOf(JobCancelledError);

    expect(attempts.writes).toStrictEqual([]);
    expect(job.discarded).toBe(true);
    expect(deadLetters.entries).toStrictEqual([]);
  });

  it('books the record cancelled when the cancellation is found after a failed attempt', async () => {
    const { run, attempts, handlers, cancellations, deadLetters, seen } = setUp();
    handlers.work = async () => {
      cancellations.requested.add('job-1');
      throw new TransientJobError('provider_unavailable', 'Stripe answered 503');
    };
    const job = fakeJob();

    await expect(run(job)).rejects.toThrow('Stripe answered 503');

    expect(attempts.fails).toEqual([
      expect.objectContaining({ ref: { tenantId: 'tenant-a', jobId: 'job-1', fence: 7 }, status: 'cancelled' }),
    ]);
    expect(job.discarded).toBe(true);
    expect(deadLetters.entries).toStrictEqual([]);
    expect(seen.failed).toEqual([expect.objectContaining({ cancelled: true, final: true })]);
  });
});

describe('JobRunner: a stale attempt', () => {
  it('discards the job and writes nothing more when its completion finds a newer fence', async () => {
    const { run, attempts, deadLetters, relay, seen } = setUp();
    attempts.completeError = new StaleAttemptError('job-1');
    const job = fakeJob();

    await expect(run(job)).rejects.toBeInstanceOf(StaleAttemptError);

    expect(job.discarded).toBe(true);
    expect(attempts.completes).toHaveLength(1);
    expect(attempts.fails).toStrictEqual([]);
    expect(attempts.defers).toStrictEqual([]);
    expect(deadLetters.entries).toStrictEqual([]);
    expect(relay.wakes).toBe(0);
    expect(seen.completed).toStrictEqual([]);
    expect(seen.failed).toStrictEqual([]);
  });

  it('discards the job and dead-letters nothing when booking a final failure finds a newer fence', async () => {
    const { run, attempts, handlers, deadLetters, seen } = setUp();
    handlers.work = async () => Promise.reject(new PermanentJobError('card_declined', 'Your card was declined'));
    attempts.failError = new StaleAttemptError('job-1');
    const job = fakeJob();

    await expect(run(job)).rejects.toThrow('Your card was declined');

    expect(job.discarded).toBe(true);
    expect(attempts.fails).toHaveLength(1);
    expect(deadLetters.entries).toStrictEqual([]);
    expect(seen.failed).toStrictEqual([]);
  });
});

describe('JobRunner: a final failure goes to the dead-letter queue', () => {
  const declined = () => new PermanentJobError('card_declined', 'Your card was declined');
  const outage = () => new TransientJobError('provider_unavailable', 'Stripe answered 503');

  it('fails the record and writes one dead-letter entry for a permanent error on the first attempt', async () => {
    const { run, attempts, handlers, deadLetters, seen } = setUp();
    handlers.work = async () => Promise.reject(declined());
    const job = fakeJob({ attemptsMade: 0, opts: { attempts: 3 } });

    await expect(run(job)).rejects.toThrow('Your card was declined');

    expect(attempts.fails).toEqual([
      {
        ref: { tenantId: 'tenant-a', jobId: 'job-1', fence: 7 },
        status: 'failed',
        error: { type: 'card_declined', message: 'Your card was declined', permanent: true },
      },
    ]);
    expect(deadLetters.entries).toEqual([
      expect.objectContaining({
        tenantId: 'tenant-a',
        jobId: 'job-1',
        queue: 'money',
        type: 'payment-process',
        idempotencyKey: 'key-1',
        errorType: 'card_declined',
        attempts: 1,
        firstFailedAt: attempts.firstFailedAt,
      }),
    ]);
    expect(job.discarded).toBe(false);
    expect(seen.failed).toEqual([expect.objectContaining({ final: true, cancelled: false })]);
  });

  it('fails the record and dead-letters a transient error on the last attempt', async () => {
    const { run, attempts, handlers, deadLetters } = setUp();
    handlers.work = async () => Promise.reject(outage());
    const job = fakeJob({ attemptsMade: 2, opts: { attempts: 3 } });

    await expect(run(job)).rejects.toThrow('Stripe answered 503');

    expect(attempts.claims).toEqual([{ tenantId: 'tenant-a', jobId: 'job-1', attempt: 3 }]);
    expect(attempts.fails).toEqual([expect.objectContaining({ status: 'failed', error: expect.objectContaining({ type: 'provider_unavailable' }) })]);
    expect(deadLetters.entries).toEqual([
      expect.objectContaining({ errorType: 'provider_unavailable', attempts: 3, firstFailedAt: attempts.firstFailedAt }),
    ]);
  });

  it('dead-letters a delivery whose record is missing, without running it', async () => {
    const { run, attempts, handlers, deadLetters } = setUp();
    attempts.outcome = { kind: 'missing' };

    await expect(run(fakeJob())).rejects.toThrow('The job has no record in the database');

    expect(handlers.calls).toStrictEqual([]);
    expect(attempts.writes).toStrictEqual([]);
    expect(deadLetters.entries).toEqual([expect.objectContaining({ errorType: 'record_missing', attempts: 1 })]);
  });

  it('books a transient error before the last attempt as delayed, with no dead-letter entry', async () => {
    const { run, attempts, handlers, deadLetters, seen } = setUp();
    handlers.work = async () => Promise.reject(outage());
    const job = fakeJob({ attemptsMade: 1, opts: { attempts: 3 } });

    await expect(run(job)).rejects.toThrow('Stripe answered 503');

    expect(attempts.fails).toEqual([expect.objectContaining({ status: 'delayed' })]);
    expect(deadLetters.entries).toStrictEqual([]);
    expect(job.attemptsMade).toBe(1);
    expect(seen.failed).toEqual([expect.objectContaining({ final: false, attempt: 2 })]);
  });
});

describe('JobRunner: a completion listener that throws', () => {
  it('still answers the result and never books the committed job as failed', async () => {
    const { run, attempts, handlers, events, deadLetters } = setUp();
    handlers.work = async () => ({ paymentIntentId: 'pi_1' });
    events.on(JOB_EVENTS.completed, () => {
      throw new Error('metrics listener broke');
    });

    await expect(run(fakeJob())).resolves.toEqual({ paymentIntentId: 'pi_1' });

    expect(attempts.completes).toHaveLength(1);
    expect(attempts.fails).toStrictEqual([]);
    expect(deadLetters.entries).toStrictEqual([]);
  });
});

describe('JobRunner: a schedule tick', () => {
  it('hands a repeatable job of a persisted type to ScheduleTicks and runs nothing else', async () => {
    const { run, ticks, attempts, handlers, cancellations, seen } = setUp();
    cancellations.requested.add('repeat:abc');
    const tick = fakeJob({ id: 'repeat:abc', opts: { attempts: 1, repeat: { cron: '*/5 * * * *' } } });

    await expect(run(tick)).resolves.toEqual({ scheduledJobId: 'scheduled:repeat:abc' });

    expect(ticks.submitted).toEqual([tick]);
    expect(attempts.claims).toStrictEqual([]);
    expect(attempts.writes).toStrictEqual([]);
    expect(handlers.calls).toStrictEqual([]);
    expect(seen).toEqual({ started: [], completed: [], failed: [] });
  });

  it('runs nothing, of either kind, for a tick its schedule skips', async () => {
    const { run, ticks, handlers, seen } = setUp();
    ticks.skipping.add('repeat:skip-1').add('repeat:skip-2');
    const persisted = fakeJob({ id: 'repeat:skip-1', opts: { attempts: 1, repeat: { cron: '*/5 * * * *' } } });
    const redisOnly = fakeJob({ id: 'repeat:skip-2', data: { type: 'scheduled-task', payload: { task: 'queue-metrics-snapshot' } }, opts: { repeat: { cron: '0 * * * *' } } });

    await expect(run(persisted)).resolves.toEqual({ skipped: 'missed tick' });
    await expect(run(redisOnly)).resolves.toEqual({ skipped: 'missed tick' });

    expect(ticks.submitted).toStrictEqual([]);
    expect(handlers.calls).toStrictEqual([]);
    expect(seen).toEqual({ started: [], completed: [], failed: [] });
  });

  it('runs a repeatable job of a Redis-only type itself', async () => {
    const { run, ticks, handlers } = setUp();
    const tick = fakeJob({ id: 'repeat:def', data: { type: 'scheduled-task', payload: { task: 'queue-metrics-snapshot' } }, opts: { repeat: { cron: '0 * * * *' } } });

    await run(tick);

    expect(ticks.submitted).toStrictEqual([]);
    expect(handlers.calls).toEqual([{ type: 'scheduled-task', payload: { task: 'queue-metrics-snapshot' } }]);
  });
});

describe('JobRunner: a Redis-only job', () => {
  const analytics = { type: 'analytics-process' as const, payload: { event: 'ticket.scanned' }, idempotencyKey: 'key-9' };

  it('answers the result stored under its idempotency key without claiming or running', async () => {
    const { run, attempts, handlers, idempotency, seen } = setUp();
    idempotency.results.set('key-9', { counted: 41 });

    await expect(run(fakeJob({ data: analytics }))).resolves.toEqual({ counted: 41 });

    expect(attempts.claims).toStrictEqual([]);
    expect(handlers.calls).toStrictEqual([]);
    expect(idempotency.stores).toStrictEqual([]);
    expect(seen.completed).toStrictEqual([]);
  });

  it('runs the payload from Redis and stores its result under the key, with no record', async () => {
    const { run, attempts, handlers, idempotency, scopeRuns, seen } = setUp();
    handlers.work = async () => ({ counted: 42 });

    await expect(run(fakeJob({ data: analytics }))).resolves.toEqual({ counted: 42 });

    expect(attempts.claims).toStrictEqual([]);
    expect(attempts.writes).toStrictEqual([]);
    expect(handlers.calls).toEqual([{ type: 'analytics-process', payload: { event: 'ticket.scanned' } }]);
    expect(idempotency.stores).toEqual([{ key: 'key-9', result: { counted: 42 } }]);
    expect(scopeRuns).toEqual(['tenant-a']);
    expect(seen.completed).toHaveLength(1);
  });

  it('keeps its first failure time in its Bull data and dead-letters it from there on the last attempt', async () => {
    const { run, handlers, deadLetters } = setUp();
    handlers.work = async () => Promise.reject(new TransientJobError('network_error', 'socket hang up'));
    const job = fakeJob({ data: { ...analytics, firstFailedAt: '2026-10-31T08:00:00.000Z' }, attemptsMade: 2, opts: { attempts: 3 } });

    await expect(run(job)).rejects.toThrow('socket hang up');

    expect(deadLetters.entries).toEqual([
      expect.objectContaining({ type: 'analytics-process', queue: 'background', attempts: 3, firstFailedAt: new Date('2026-10-31T08:00:00.000Z') }),
    ]);
  });
});

describe('JobRunner: the operation.failed webhook of a dead-lettered job', () => {
  it('is planned as a follow-up of the failed job and written in the dead-letter entry\'s transaction, then the relay is woken', async () => {
    const { run, handlers, deadLetters, followUps, relay } = setUp();
    deadLetters.writeAlsoIn = true;
    handlers.work = async () => {
      throw new PermanentJobError('card_declined', 'Your card was declined.');
    };

    await expect(run(fakeJob())).rejects.toThrow('Your card was declined.');

    expect(deadLetters.entries).toHaveLength(1);
    expect(followUps.requests).toEqual([{
      name: 'webhook:operation.failed:dead-letter-1',
      type: 'webhook-event',
      data: {
        event: 'operation.failed',
        body: expect.objectContaining({
          jobId: 'job-1', type: 'payment-process', queue: 'money', errorType: 'card_declined', attempts: 1, deadLetterId: 'dead-letter-1',
        }),
      },
    }]);
    expect(followUps.recorded).toEqual([{ manager: FAKE_MANAGER, tenantId: 'tenant-a', planned: [expect.objectContaining({ summary: { id: 'job-1:webhook:operation.failed:dead-letter-1' } })] }]);
    expect(relay.wakes).toBe(1);
  });

  it.each(['webhook-event', 'webhook-deliver'] as const)('is not raised for a %s job (no webhook storms)', async (type) => {
    const { run, handlers, deadLetters, followUps, relay } = setUp();
    deadLetters.writeAlsoIn = true;
    handlers.work = async () => {
      throw new PermanentJobError('webhook_rejected', 'The receiver answered 410');
    };

    await expect(run(fakeJob({ data: { type } }))).rejects.toThrow('The receiver answered 410');

    expect(deadLetters.entries).toHaveLength(1);
    expect(followUps.requests).toStrictEqual([]);
    expect(followUps.recorded).toStrictEqual([]);
    expect(relay.wakes).toBe(0);
  });
});
