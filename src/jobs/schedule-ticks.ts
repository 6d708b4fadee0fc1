import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Job } from 'bull';
import { derivedJobId } from './derived-id';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import { SCHEDULE_EVENTS, ScheduleTickEvent, ScheduleTickVerdict } from '../job-definitions/job-events';
import { JOB_TYPES } from '../job-definitions/job-types';
import { SystemSubmissions } from './system-submissions';

/**
 * Bull gives each tick of a repeatable job an id of its own making (`repeat:…`), with no record
 * behind it. A tick of a persisted type therefore submits a job with a record, under an id and
 * key derived from the tick, so a tick delivered twice (a stalled worker) submits one job.
 * Every tick is first announced (SCHEDULE_EVENTS.tick): the schedules module records it, and
 * may answer that a tick missed while every process was down is skipped.
 */
@Injectable()
export class ScheduleTicks {
  private readonly logger = new Logger(ScheduleTicks.name);

  constructor(
    private readonly submissions: SystemSubmissions,
    private readonly events: EventEmitter2,
  ) {}

  /** False when a listener says the tick is skipped. */
  async announce(tick: Job<JobEnvelope>): Promise<boolean> {
    const key = tick.opts.repeat && 'jobId' in tick.opts.repeat ? String(tick.opts.repeat.jobId) : '';
    const tickAt = new Date(Number((tick.opts as { prevMillis?: number }).prevMillis ?? tick.timestamp));
    const jobId = JOB_TYPES[tick.data.type].persisted ? derivedTickId(tick) : String(tick.id);
    const event: ScheduleTickEvent = { key, tenantId: tick.data.tenantId, type: tick.data.type, tickAt, jobId };
    const verdicts = (await this.events.emitAsync(SCHEDULE_EVENTS.tick, event)) as ScheduleTickVerdict[];
    if (!verdicts.includes('skip')) return true;
    this.logger.log({ key, tickAt }, 'Skipped a tick missed while no process ran it');
    return false;
  }

  async submit(tick: Job<JobEnvelope>): Promise<{ scheduledJobId: string }> {
    const { tenantId, type, payload } = tick.data;
    const { jobId } = await this.submissions.submit({
      tenantId,
      origin: 'schedule',
      type,
      data: payload,
      id: derivedTickId(tick),
      options: { idempotencyKey: `tick:${tick.id}` },
    });
    return { scheduledJobId: jobId };
  }
}

function derivedTickId(tick: Job<JobEnvelope>): string {
  return derivedJobId('tick', String(tick.id));
}
