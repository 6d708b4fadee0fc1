import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Job } from 'bull';
import { plainToInstance } from 'class-transformer';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { TenantScope } from '../database/tenant-scope';
import { DeadLetterEntry, DeadLetterRecorder } from '../dead-letters/dead-letter-recorder';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { EffectJournal } from '../persistence/effect-journal';
import { AttemptRef, ClaimOutcome, JobAttempts } from '../persistence/job-attempts';
import { CancellationFlags } from './cancellation-flags';
import { operationFailedEvent } from './failure-webhook';
import { FollowUps } from './follow-ups';
import type { PlannedJob } from './job-enqueuer';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import {
  classifyError, ClassifiedError, JobAlreadyFinishedError, JobCancelledError, JobDeferral, PermanentJobError,
  StaleAttemptError,
} from '../job-definitions/job-errors';
import { JOB_EVENTS, JobCompletedEvent, JobEventBase, JobFailedEvent } from '../job-definitions/job-events';
import { JobContext } from '../job-definitions/job-handler';
import { providerKeyFor } from '../job-definitions/provider-key';
import { JobHandlerRegistry } from './job-handler-registry';
import { AttemptOutcome, inAttemptSpan, inSpan } from './job-tracing';
import { JOB_TYPES, JobType, payloadClassOf, PayloadOf, providerOf } from '../job-definitions/job-types';
import { LeaseKeeper } from './lease-keeper';
import { OutboxRelay } from './outbox-relay';
import { ProviderGuard } from './provider-guard';
import { ScheduleTicks } from './schedule-ticks';

/** One delivery of a job, as the runner sees it. */
interface Delivery extends JobEventBase {
  maxAttempts: number;
  persisted: boolean;
  idempotencyKey?: string;
  startedAt: number;
  /** Set once a persisted job is claimed: every record write names its fence. */
  ref?: AttemptRef;
  /** The effect journal's steps, read with the claim. */
  journal: Map<string, object>;
  /** Follow-up jobs the handler asked for, by name, written with the completion. */
  followUps: Map<string, PlannedJob>;
}

/** How an attempt ended well: completed by this attempt, or found completed already. */
interface Success {
  result: object;
  completedNow: boolean;
}

/**
 * The one pipeline every job runs in. Handlers hold only their type's work; claiming the
 * record, idempotency, provider tokens and breakers, the effect journal, follow-up jobs,
 * status, error classification, dead-lettering and lifecycle events live here once.
 *
 * Once a completion has committed nothing can change the job's outcome: what follows it
 * (events, the relay) runs outside the failure path, and record writes are guarded by the
 * attempt's fence and the `active` status.
 */
@Injectable()
export class JobRunner {
  private readonly logger = new Logger(JobRunner.name);
  private readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly handlers: JobHandlerRegistry,
    private readonly scope: TenantScope,
    private readonly attempts: JobAttempts,
    private readonly journal: EffectJournal,
    private readonly leases: LeaseKeeper,
    private readonly providers: ProviderGuard,
    private readonly idempotency: IdempotencyService,
    private readonly cancellations: CancellationFlags,
    private readonly deadLetters: DeadLetterRecorder,
    private readonly followUps: FollowUps,
    private readonly relay: OutboxRelay,
    private readonly ticks: ScheduleTicks,
    private readonly events: EventEmitter2,
  ) {}

  async run(job: Job<JobEnvelope>): Promise<object> {
    if (job.opts.repeat && !(await this.ticks.announce(job))) return { skipped: 'missed tick' };
    // A repeatable job of a persisted type is a schedule's tick: it becomes a job of its own.
    if (job.opts.repeat && JOB_TYPES[job.data.type].persisted) return this.ticks.submit(job);
    const delivery = this.describe(job);
    return inAttemptSpan(delivery, job.data.traceparent, async (trace) => {
      let success: Success;
      try {
        success = await this.attempt(job, delivery);
      } catch (error) {
        trace.outcome(await this.recordFailure(job, delivery, error));
        throw error;
      }
      trace.outcome(success.completedNow ? 'completed' : 'already-completed');
      if (success.completedNow) this.afterCompletion(delivery, success.result);
      else this.logger.log('Job was completed earlier; its stored result answers');
      return success.result;
    });
  }

  private async attempt(job: Job<JobEnvelope>, delivery: Delivery): Promise<Success> {
    if (await this.cancellations.isRequested(delivery.jobId)) {
      // Not claimed yet, so no attempt will write the record: say `cancelled` here. When the
      // record is already over, or a live attempt holds it, the claim below answers instead.
      if (!delivery.persisted || (await this.attempts.cancelUnclaimed(delivery.tenantId, delivery.jobId))) {
        throw new JobCancelledError();
      }
    }
    const payload = delivery.persisted ? await this.claim(delivery) : job.data.payload;
    if (payload instanceof FinishedEarlier) return { result: payload.result, completedNow: false };
    const stored = await this.storedResult(delivery);
    if (stored) return { result: stored, completedNow: false };
    const result = await this.execute(job, delivery, payload);
    await this.complete(delivery, result);
    return { result, completedNow: true };
  }

  /**
   * The result of earlier work under this job's idempotency key. Persisted jobs need no look-up:
   * their key completes in the same transaction as their record, which the claim has just read.
   */
  private async storedResult(delivery: Delivery): Promise<object | undefined> {
    if (delivery.persisted || !delivery.idempotencyKey) return undefined;
    return this.idempotency.check(delivery.tenantId, delivery.idempotencyKey);
  }

  private describe(job: Job<JobEnvelope>): Delivery {
    const { tenantId, type, idempotencyKey, origin } = job.data;
    return {
      jobId: String(job.id),
      tenantId,
      type,
      origin,
      queue: JOB_TYPES[type].queue,
      attempt: job.attemptsMade + 1,
      dueAt: job.timestamp === undefined ? undefined : job.timestamp + (job.opts.delay ?? 0),
      data: job.data.payload,
      maxAttempts: job.opts.attempts ?? 1,
      persisted: JOB_TYPES[type].persisted,
      idempotencyKey,
      startedAt: Date.now(),
      followUps: new Map(),
      journal: new Map(),
    };
  }

  /** Takes the record for this attempt; its payload, not Redis's copy, is what runs. */
  private async claim(delivery: Delivery): Promise<Record<string, unknown> | FinishedEarlier> {
    const claim: ClaimOutcome<Map<string, object>> = await this.attempts.claim(
      delivery.tenantId, delivery.jobId, this.workerId, delivery.attempt,
      (manager, claimedIds) => this.journal.stepsIn(manager, claimedIds),
    );
    switch (claim.kind) {
      case 'claimed':
        delivery.ref = { tenantId: delivery.tenantId, jobId: delivery.jobId, fence: claim.fence };
        delivery.journal = claim.also ?? new Map();
        return claim.data;
      case 'leased':
        throw new JobDeferral('another worker holds the job', claim.retryInMs);
      case 'missing':
        throw new PermanentJobError('record_missing', 'The job has no record in the database');
      case 'finished':
        if (claim.status === 'completed') return new FinishedEarlier(claim.result ?? {});
        throw new JobAlreadyFinishedError(delivery.jobId, claim.status);
    }
  }

  private async execute(job: Job<JobEnvelope>, delivery: Delivery, payload: Record<string, unknown>): Promise<object> {
    const type: JobType = delivery.type;
    const steps = delivery.journal;
    const lease = delivery.ref ? this.leases.keep(job, delivery.ref) : undefined;
    const followUpNames = new Set<string>();
    const context: JobContext = {
      jobId: delivery.jobId,
      tenantId: delivery.tenantId,
      attempt: delivery.attempt,
      maxAttempts: delivery.maxAttempts,
      providerKey: (step) => providerKeyFor(delivery, step),
      reportProgress: async (percent) => {
        const bounded = Math.max(0, Math.min(100, Math.round(percent)));
        await job.progress(bounded);
        if (delivery.ref) await this.attempts.progress(delivery.ref, bounded);
      },
      step: async <T extends object>(name: string, work: () => Promise<T>): Promise<T> => {
        if (steps.has(name)) return steps.get(name) as T;
        const outcome = await inSpan(`job.step ${name}`, { 'job.step': name, 'job.provider': providerOf(type) ?? 'none' }, work);
        if (delivery.ref) await this.journal.record(delivery.ref, name, outcome);
        steps.set(name, outcome);
        return outcome;
      },
      enqueue: async (followUp) => {
        if (followUpNames.has(followUp.name)) {
          throw new PermanentJobError('duplicate_follow_up', `Follow-up ${followUp.name} was enqueued twice`);
        }
        followUpNames.add(followUp.name); // before the await: two concurrent enqueues of one name must not both pass
        if (!(await this.followUps.isHeard(delivery.tenantId, followUp))) return;
        delivery.followUps.set(followUp.name, await this.followUps.plan(delivery, followUp));
      },
    };
    this.logger.log({ maxAttempts: delivery.maxAttempts }, 'Job started');
    this.emit(JOB_EVENTS.started, this.eventBase(delivery));
    try {
      const typed = plainToInstance(payloadClassOf(type), payload) as PayloadOf<typeof type>;
      const handler = this.handlers.get(type);
      const handle = () => inSpan(`job.handle ${type}`, { 'job.id': delivery.jobId, 'job.type': type }, () => handler.execute(typed, context));
      return await this.providers.run(providerOf(type), handle);
    } finally {
      lease?.stop();
    }
  }

  /** The record (or idempotency key), and the follow-ups, in one transaction. */
  private async complete(delivery: Delivery, result: object): Promise<void> {
    const { tenantId, idempotencyKey } = delivery;
    const followUps = [...delivery.followUps.values()];
    if (delivery.ref) {
      await this.attempts.complete(delivery.ref, result, idempotencyKey, followUps.length ? { items: followUps, writeAll: this.writeFollowUps } : undefined);
    } else if (idempotencyKey || followUps.length) {
      await this.scope.run(tenantId, async (manager) => {
        if (idempotencyKey) await this.idempotency.store(manager, idempotencyKey, result);
        if (followUps.length) await this.writeFollowUps(manager, tenantId, followUps);
      });
    }
  }

  /** One function for every completion, so that a group's follow-ups are written together. */
  private readonly writeFollowUps = (manager: EntityManager, tenantId: string, planned: PlannedJob[]) =>
    this.followUps.recordIn(manager, tenantId, planned);

  /** After the commit: nothing here can fail the job. */
  private afterCompletion(delivery: Delivery, result: object): void {
    if (delivery.followUps.size) this.relay.wake();
    const event: JobCompletedEvent = { ...this.eventBase(delivery), durationMs: Date.now() - delivery.startedAt, result };
    this.logger.log({ durationMs: event.durationMs, followUps: delivery.followUps.size }, 'Job completed');
    this.emit(JOB_EVENTS.completed, event);
  }

  /**
   * Books a failed attempt. Bookkeeping errors are logged, never thrown: the original error
   * must reach Bull, which retries by the job's strategy (see retry-backoff.ts).
   */
  private async recordFailure(job: Job<JobEnvelope>, delivery: Delivery, error: unknown): Promise<AttemptOutcome> {
    try {
      if (error instanceof StaleAttemptError || error instanceof JobAlreadyFinishedError) {
        job.discard();
        this.logger.warn({ jobId: delivery.jobId, reason: error.message }, 'Attempt abandoned');
        return 'abandoned';
      }
      if (error instanceof JobDeferral) {
        // Bull adds one to attemptsMade on every failure; a deferral is not an attempt.
        job.attemptsMade -= 1;
        if (delivery.ref) await this.attempts.defer(delivery.ref);
        this.logger.log({ jobId: delivery.jobId, delayMs: error.delayMs, reason: error.reason }, 'Job deferred');
        return 'deferred';
      }
      return await this.recordFailedAttempt(job, delivery, error);
    } catch (bookkeeping) {
      if (bookkeeping instanceof StaleAttemptError) {
        job.discard();
        this.logger.warn({ jobId: delivery.jobId, reason: bookkeeping.message }, 'Attempt abandoned');
        return 'abandoned';
      }
      this.logger.error({ err: bookkeeping, jobId: delivery.jobId }, 'Could not record the failed attempt');
      return 'failed';
    }
  }

  private async recordFailedAttempt(job: Job<JobEnvelope>, delivery: Delivery, error: unknown): Promise<AttemptOutcome> {
    const classified: ClassifiedError = classifyError(error);
    const cancelled = error instanceof JobCancelledError || (await this.cancellations.isRequested(delivery.jobId));
    const final = cancelled || classified.permanent || delivery.attempt >= delivery.maxAttempts;
    if (cancelled) job.discard();
    const status = cancelled ? 'cancelled' : final ? 'failed' : 'delayed';
    const firstFailedAt = delivery.ref
      ? await this.attempts.fail(delivery.ref, status, classified)
      : delivery.persisted
        ? new Date() // never claimed (cancelled first, or no record): there is no attempt to book
        : await this.firstFailureOfRedisOnlyJob(job);
    const level = final ? 'warn' : 'log';
    this.logger[level](
      { jobId: delivery.jobId, tenantId: delivery.tenantId, type: delivery.type, attempt: delivery.attempt, errorType: classified.type },
      final ? 'Job failed for good' : 'Job attempt failed; it will be retried',
    );
    if (final && !cancelled) {
      await this.deadLetter(delivery, {
        tenantId: delivery.tenantId,
        jobId: delivery.jobId,
        queue: delivery.queue,
        type: delivery.type,
        data: job.data.payload,
        idempotencyKey: delivery.idempotencyKey ?? null,
        errorType: classified.type,
        errorMessage: classified.message,
        attempts: delivery.attempt,
        firstFailedAt,
        lastFailedAt: new Date(),
      });
    }
    const event: JobFailedEvent = {
      ...this.eventBase(delivery),
      durationMs: Date.now() - delivery.startedAt,
      error: classified,
      final,
      cancelled,
    };
    this.emit(JOB_EVENTS.failed, event);
    return cancelled ? 'cancelled' : final ? 'failed' : 'retrying';
  }

  /** The entry, and in its transaction the `operation.failed` webhook event as a follow-up of the failed job. */
  private async deadLetter(delivery: Delivery, entry: DeadLetterEntry): Promise<void> {
    let eventWritten = false;
    await this.deadLetters.record(entry, async (manager, deadLetterId) => {
      const event = operationFailedEvent(entry, deadLetterId);
      if (!event) return;
      const planned = await this.followUps.plan(delivery, event);
      eventWritten = (await this.followUps.recordIn(manager, delivery.tenantId, [planned])) > 0;
    });
    if (eventWritten) this.relay.wake();
  }

  /** Redis-only jobs keep their first failure time in their Bull data. */
  private async firstFailureOfRedisOnlyJob(job: Job<JobEnvelope>): Promise<Date> {
    if (job.data.firstFailedAt) return new Date(job.data.firstFailedAt);
    const now = new Date();
    await job.update({ ...job.data, firstFailedAt: now.toISOString() });
    return now;
  }

  /** Listeners observe; one that throws is logged and changes nothing about the job. */
  private emit(name: string, event: JobEventBase): void {
    try {
      this.events.emit(name, event);
    } catch (error) {
      this.logger.error({ err: error, jobId: event.jobId, event: name }, 'A job event listener failed');
    }
  }

  private eventBase(delivery: Delivery): JobEventBase {
    const { jobId, tenantId, type, queue, attempt, dueAt, data, origin } = delivery;
    return { jobId, tenantId, type, queue, attempt, dueAt, data, origin };
  }
}

/** A re-delivery of a job the record says completed: its stored result is the answer. */
class FinishedEarlier {
  constructor(readonly result: object) {}
}
