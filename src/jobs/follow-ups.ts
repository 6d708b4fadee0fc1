import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { JobOutbox } from '../persistence/job-outbox';
import { derivedJobId } from './derived-id';
import type { SubmitJobRequest } from './dto/submit-job.dto';
import { JobEnqueuer, PlannedJob } from './job-enqueuer';
import { PermanentJobError } from '../job-definitions/job-errors';
import type { FollowUpRequest } from '../job-definitions/job-handler';
import { validatePayload } from './job-submissions';
import { isWebhookEvent } from '../job-definitions/payloads/communication.payloads';
import { WEBHOOK_AUDIENCE, WebhookAudience } from '../job-definitions/webhook-audience';

/**
 * Jobs a job enqueues when it completes (a payment's confirmation e-mail, an alert's
 * notifications). They are written with the parent's completion, in its transaction: records,
 * idempotency keys and outbox entries, which the relay then moves to Redis. Each follow-up's
 * id and key derive from the parent and the follow-up's name, so a re-run of the parent or of
 * the relay never makes a second one.
 */
@Injectable()
export class FollowUps {
  constructor(
    private readonly enqueuer: JobEnqueuer,
    private readonly outbox: JobOutbox,
    @Inject(WEBHOOK_AUDIENCE) private readonly audience: WebhookAudience,
  ) {}

  /**
   * False for a `webhook-event` that no enabled endpoint of the tenant wants: with nobody to
   * deliver to, the event would be a job (record, key, outbox row, relay, claim, completion) that
   * fans out to nothing. An endpoint subscribed later gets the events that follow, as it would
   * have from a `webhook-event` job that ran before it. Asked while a handler runs, outside any
   * transaction (the read takes a connection of its own).
   */
  async isHeard(tenantId: string, followUp: FollowUpRequest): Promise<boolean> {
    if (followUp.type !== 'webhook-event') return true;
    const event = (followUp.data as { event?: unknown }).event;
    // An event that is no event is not ours to drop: plan() refuses it, failing the job.
    if (!isWebhookEvent(event)) return true;
    return this.audience.isListening(tenantId, event);
  }

  async plan(parent: { jobId: string; tenantId: string }, followUp: FollowUpRequest): Promise<PlannedJob> {
    const request: SubmitJobRequest = {
      type: followUp.type,
      data: followUp.data as Record<string, unknown>,
      options: { ...followUp.options, idempotencyKey: `follow-up:${parent.jobId}:${followUp.name}` },
    };
    const { payload, problems } = await validatePayload(request, `followUps.${followUp.name}.data`);
    if (problems.length) {
      const fields = problems.map((problem) => `${problem.field}: ${problem.message}`).join('; ');
      throw new PermanentJobError('invalid_follow_up', `Follow-up ${followUp.name} is invalid: ${fields}`);
    }
    return this.enqueuer.plan(
      { tenantId: parent.tenantId, userId: null, origin: 'follow-up', parentJobId: parent.jobId },
      request,
      payload,
      `followUps.${followUp.name}.options.idempotencyKey`,
      derivedJobId('follow-up', parent.jobId, followUp.name),
    );
  }

  /** Inside the parent's completing transaction; answers how many outbox entries it left. */
  async recordIn(manager: EntityManager, tenantId: string, planned: PlannedJob[]): Promise<number> {
    const outcomes = await this.enqueuer.recordIn(manager, tenantId, planned);
    const fresh = planned.filter((_, index) => outcomes[index].created);
    await this.outbox.insertIn(
      manager,
      fresh.map((job) => ({ jobId: job.summary.id, tenantId, queue: job.summary.queue, envelope: job.envelope, options: job.options })),
    );
    return fresh.length;
  }
}
