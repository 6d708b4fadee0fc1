import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { JOB_EVENTS, JobCompletedEvent, JobFailedEvent, SCHEDULE_EVENTS, ScheduleTickEvent, ScheduleTickVerdict } from '../job-definitions/job-events';
import { nextTickAfter } from './cron-times';
import { scheduleIdOf } from './schedule-repeatables';
import { Schedules } from './schedules.repository';

/**
 * Keeps a schedule's row in step with its ticks: last run, the job it ran as, next run, and
 * the job's outcome. A tick that comes due only after the next one was already due was missed
 * while no process ran (Bull keeps one pending tick, so a long outage is one late tick): the
 * schedule's `skip` policy drops it.
 */
@Injectable()
export class ScheduleTickListener {
  private readonly logger = new Logger(ScheduleTickListener.name);

  constructor(private readonly schedules: Schedules) {}

  @OnEvent(SCHEDULE_EVENTS.tick)
  async onTick(event: ScheduleTickEvent): Promise<ScheduleTickVerdict> {
    const id = scheduleIdOf(event.key);
    if (!id) return undefined;
    const schedule = await this.schedules.find(event.tenantId, id);
    // Removed or disabled, and its repeatable not yet: start-up reconciles the rest.
    if (!schedule || !schedule.enabled) return 'skip';
    const now = new Date();
    const nextRunAt = nextTickAfter(schedule.cron, schedule.timezone, now);
    const missed = nextTickAfter(schedule.cron, schedule.timezone, event.tickAt) <= now;
    if (missed && schedule.missedTickPolicy === 'skip') {
      await this.schedules.recordSkipped(event.tenantId, id, nextRunAt);
      return 'skip';
    }
    await this.schedules.recordTick(event.tenantId, id, { at: event.tickAt, jobId: event.jobId, nextRunAt, outcome: 'submitted' });
    return 'run';
  }

  // Only a schedule's jobs can be some row's last job: any other would be a transaction per job
  // that matches nothing.
  @OnEvent(JOB_EVENTS.completed)
  async onCompleted(event: JobCompletedEvent): Promise<void> {
    if (event.origin === 'schedule') await this.outcome(event.tenantId, event.jobId, 'completed');
  }

  @OnEvent(JOB_EVENTS.failed)
  async onFailed(event: JobFailedEvent): Promise<void> {
    if (event.final && event.origin === 'schedule') await this.outcome(event.tenantId, event.jobId, 'failed');
  }

  private async outcome(tenantId: string, jobId: string, outcome: 'completed' | 'failed'): Promise<void> {
    await this.schedules.recordOutcome(tenantId, jobId, outcome).catch((error: unknown) =>
      this.logger.error({ err: error, jobId }, "Could not record a schedule's outcome"),
    );
  }
}
