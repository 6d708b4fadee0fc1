import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const MISSED_TICK_POLICIES = ['run-once', 'skip'] as const;
export type MissedTickPolicy = (typeof MISSED_TICK_POLICIES)[number];
export const SCHEDULE_OUTCOMES = ['submitted', 'completed', 'failed', 'skipped'] as const;
export type ScheduleOutcome = (typeof SCHEDULE_OUTCOMES)[number];

/** A tenant's cron schedule of one job (table schedules); each is a Bull repeatable. */
@Entity({ name: 'schedules' })
export class Schedule {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId: string;

  @Column('text')
  name: string;

  @Column('text')
  cron: string;

  @Column('text')
  timezone: string;

  @Column('text', { name: 'job_type' })
  jobType: string;

  @Column('jsonb', { name: 'job_data' })
  jobData: Record<string, unknown>;

  @Column('boolean')
  enabled: boolean;

  @Column('text', { name: 'missed_tick_policy' })
  missedTickPolicy: MissedTickPolicy;

  @Column('timestamptz', { name: 'last_run_at', nullable: true })
  lastRunAt: Date | null;

  @Column('text', { name: 'last_outcome', nullable: true })
  lastOutcome: ScheduleOutcome | null;

  @Column('text', { name: 'last_job_id', nullable: true })
  lastJobId: string | null;

  @Column('timestamptz', { name: 'next_run_at', nullable: true })
  nextRunAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
