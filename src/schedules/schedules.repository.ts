import { Injectable } from '@nestjs/common';
import { TenantScope } from '../database/tenant-scope';
import { Schedule, ScheduleOutcome } from './schedule.entity';

export type NewSchedule = Pick<Schedule, 'name' | 'cron' | 'timezone' | 'jobType' | 'jobData' | 'enabled' | 'missedTickPolicy' | 'nextRunAt'>;
export type ScheduleChanges = Partial<NewSchedule>;

/** All SQL of `schedules`: a tenant's rows under its row-level security; every tenant's for start-up. */
@Injectable()
export class Schedules {
  constructor(private readonly scope: TenantScope) {}

  create(tenantId: string, schedule: NewSchedule): Promise<Schedule> {
    return this.scope.run(tenantId, (manager) => manager.save(manager.create(Schedule, { ...schedule, tenantId })));
  }

  /** Oldest first. */
  async page(tenantId: string, limit: number, offset: number): Promise<{ items: Schedule[]; total: number }> {
    const [items, total] = await this.scope.run(tenantId, (manager) =>
      manager.findAndCount(Schedule, { order: { createdAt: 'ASC', id: 'ASC' }, take: limit, skip: offset }),
    );
    return { items, total };
  }

  find(tenantId: string, id: string): Promise<Schedule | null> {
    return this.scope.run(tenantId, (manager) => manager.findOneBy(Schedule, { id }));
  }

  /** Null when the tenant has no such schedule. */
  update(tenantId: string, id: string, changes: (current: Schedule) => ScheduleChanges): Promise<Schedule | null> {
    return this.scope.run(tenantId, async (manager) => {
      const schedule = await manager.findOne(Schedule, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!schedule) return null;
      Object.assign(schedule, changes(schedule));
      return manager.save(Schedule, schedule);
    });
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.scope.run(tenantId, (manager) => manager.delete(Schedule, { id }));
    return (result.affected ?? 0) > 0;
  }

  /** Every tenant's schedules: what start-up reconciles Bull's repeatables with. */
  all(): Promise<Schedule[]> {
    return this.scope.system((manager) => manager.find(Schedule, { order: { createdAt: 'ASC' } }));
  }

  /** A tick ran (or was made up for): it never moves the last run backwards. */
  async recordTick(tenantId: string, id: string, tick: { at: Date; jobId: string; nextRunAt: Date | null; outcome: ScheduleOutcome }): Promise<void> {
    await this.scope.run(tenantId, (manager) =>
      manager.query(
        `UPDATE schedules SET last_run_at = $2, last_job_id = $3, next_run_at = $4, last_outcome = $5, updated_at = now()
          WHERE id = $1 AND (last_run_at IS NULL OR last_run_at <= $2)`,
        [id, tick.at, tick.jobId, tick.nextRunAt, tick.outcome],
      ),
    );
  }

  /** The outcome of a schedule's latest job, once it is known. */
  async recordOutcome(tenantId: string, jobId: string, outcome: ScheduleOutcome): Promise<void> {
    await this.scope.run(tenantId, (manager) =>
      manager.query(`UPDATE schedules SET last_outcome = $2, updated_at = now() WHERE last_job_id = $1`, [jobId, outcome]),
    );
  }

  async recordSkipped(tenantId: string, id: string, nextRunAt: Date | null): Promise<void> {
    await this.scope.run(tenantId, (manager) =>
      manager.query(`UPDATE schedules SET last_outcome = 'skipped', next_run_at = $2, updated_at = now() WHERE id = $1`, [id, nextRunAt]),
    );
  }
}
