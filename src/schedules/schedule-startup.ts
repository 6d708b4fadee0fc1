import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { SCHEDULE_OFF } from '../config/schedules.config';
import type { JobType } from '../job-definitions/job-types';
import { derivedJobId } from '../jobs/derived-id';
import { SystemSubmissions } from '../jobs/system-submissions';
import { SERVICE_TENANT_ID } from '../observability/metrics/queue-metrics-schedule';
import { nextTickAfter, previousTickBefore } from './cron-times';
import { repeatKeyOf, ScheduleRepeatables, scheduleIdOf } from './schedule-repeatables';
import type { Schedule } from './schedule.entity';
import { Schedules } from './schedules.repository';

export const IDEMPOTENCY_CLEANUP_KEY = 'idempotency-cleanup';
export const DLQ_RETENTION_KEY = 'dlq-retention';

/**
 * At the start of every worker process:
 * - the built-in maintenance crons become `scheduled-task` repeatables (the crons only enqueue;
 *   the work runs as a job, under its advisory lock), a changed expression replacing the old;
 * - Bull's repeatables are reconciled with the `schedules` table: orphans removed, missing
 *   ones added. A schedule whose repeatable Redis had lost, and whose latest tick passed
 *   without a run, runs that tick once now (policy `run-once`), under an id derived from the
 *   tick, so processes starting together submit it once.
 */
@Injectable()
export class ScheduleStartup implements OnApplicationBootstrap {
  private readonly logger = new Logger(ScheduleStartup.name);

  constructor(
    private readonly config: AppConfig,
    private readonly schedules: Schedules,
    private readonly repeatables: ScheduleRepeatables,
    private readonly submissions: SystemSubmissions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.runsWorkers) return;
    try {
      await this.scheduleMaintenance();
      await this.reconcile();
    } catch (error) {
      // Redis or PostgreSQL down at start: the next start reconciles again.
      this.logger.error({ err: error }, 'Could not reconcile the schedules with Bull');
    }
  }

  private async scheduleMaintenance(): Promise<void> {
    const { idempotencyCleanup, dlqRetention } = this.config.schedules;
    const tasks = [
      { key: IDEMPOTENCY_CLEANUP_KEY, cron: idempotencyCleanup, task: 'idempotency-cleanup' },
      { key: DLQ_RETENTION_KEY, cron: dlqRetention, task: 'dlq-retention' },
    ];
    for (const { key, cron, task } of tasks) {
      await this.repeatables.remove(key, cron === SCHEDULE_OFF ? undefined : { cron, tz: 'UTC' });
      if (cron === SCHEDULE_OFF) continue;
      await this.submissions.repeat(
        { tenantId: SERVICE_TENANT_ID, origin: 'schedule', type: 'scheduled-task', data: { task } },
        { key, cron },
      );
    }
  }

  async reconcile(now = new Date()): Promise<void> {
    // Bull first, the table second: a schedule made in between is in the table, so not an orphan.
    const present = await this.repeatables.list();
    const wanted = new Map((await this.schedules.all()).filter((row) => row.enabled).map((row) => [row.id, row]));
    for (const repeatable of present) {
      const id = scheduleIdOf(repeatable.id);
      if (id === null) continue;
      const row = wanted.get(id);
      if (row && row.cron === repeatable.cron && row.timezone === (repeatable.tz ?? 'UTC')) continue;
      await this.repeatables.remove(repeatable.id, row && { cron: row.cron, tz: row.timezone });
    }
    const registered = new Set(present.map((repeatable) => repeatable.id));
    for (const row of wanted.values()) {
      await this.repeatables.add(row);
      if (!registered.has(repeatKeyOf(row.id))) await this.makeUpLostTick(row, now);
    }
  }

  private async makeUpLostTick(row: Schedule, now: Date): Promise<void> {
    const tickAt = previousTickBefore(row.cron, row.timezone, now);
    if (!tickAt || tickAt <= (row.lastRunAt ?? row.createdAt)) return;
    const nextRunAt = nextTickAfter(row.cron, row.timezone, now);
    if (row.missedTickPolicy === 'skip') {
      await this.schedules.recordSkipped(row.tenantId, row.id, nextRunAt);
      return;
    }
    const { jobId } = await this.submissions.submit({
      tenantId: row.tenantId, origin: 'schedule', type: row.jobType as JobType, data: row.jobData,
      id: derivedJobId('missed-tick', row.id, tickAt.toISOString()),
    });
    await this.schedules.recordTick(row.tenantId, row.id, { at: tickAt, jobId, nextRunAt, outcome: 'submitted' });
    this.logger.log({ scheduleId: row.id, tickAt }, 'Ran a tick missed while its repeatable was lost');
  }
}
