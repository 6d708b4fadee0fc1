import { Injectable } from '@nestjs/common';
import type { Job } from 'bull';
import { derivedJobId } from './derived-id';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import { SystemSubmissions } from './system-submissions';

/**
 * Bull gives each tick of a repeatable job an id of its own making (`repeat:…`), with no record
 * behind it. A tick of a persisted type therefore submits a job with a record, under an id and
 * key derived from the tick, so a tick delivered twice (a stalled worker) submits one job.
 */
@Injectable()
export class ScheduleTicks {
  constructor(private readonly submissions: SystemSubmissions) {}

  async submit(tick: Job<JobEnvelope>): Promise<{ scheduledJobId: string }> {
    const { tenantId, type, payload } = tick.data;
    const { jobId } = await this.submissions.submit({
      tenantId,
      origin: 'schedule',
      type,
      data: payload,
      id: derivedJobId('tick', String(tick.id)),
      options: { idempotencyKey: `tick:${tick.id}` },
    });
    return { scheduledJobId: jobId };
  }
}
