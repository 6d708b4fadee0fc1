import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { JobOrigin } from '../job-definitions/job-envelope';
import type { JobStatus } from '../job-definitions/job-status';

export interface JobErrorDetails {
  type: string;
  message: string;
  permanent: boolean;
}

/** The durable record of a persisted job (money and communication queues). */
@Entity({ name: 'jobs' })
export class JobRecord {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId: string;

  @Column('text')
  queue: string;

  @Column('text')
  type: string;

  @Column('text')
  status: JobStatus;

  @Column('smallint')
  priority: number;

  @Column('jsonb')
  data: Record<string, unknown>;

  @Column('jsonb', { nullable: true })
  result: object | null;

  @Column('jsonb', { nullable: true })
  error: JobErrorDetails | null;

  @Column('integer')
  attempts: number;

  @Column('integer', { name: 'max_attempts' })
  maxAttempts: number;

  @Column('integer')
  progress: number;

  @Column('text', { name: 'idempotency_key', nullable: true })
  idempotencyKey: string | null;

  @Column('text', { name: 'created_by', nullable: true })
  createdBy: string | null;

  /** Who asked for the job: a client, a schedule, the service itself, or a parent job. */
  @Column('text')
  origin: JobOrigin;

  /** The job whose completion enqueued this one (origin `follow-up`). */
  @Column('uuid', { name: 'parent_job_id', nullable: true })
  parentJobId: string | null;

  @Column('timestamptz', { name: 'cancel_requested_at', nullable: true })
  cancelRequestedAt: Date | null;

  @Column('timestamptz', { name: 'run_at', nullable: true })
  runAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column('timestamptz', { name: 'started_at', nullable: true })
  startedAt: Date | null;

  @Column('timestamptz', { name: 'finished_at', nullable: true })
  finishedAt: Date | null;

  /** Raised by every claim; a worker's writes count only while its fence is the newest. */
  @Column('bigint', { transformer: { to: (value: number) => value, from: (value: string) => Number(value) } })
  fence: number;

  @Column('text', { name: 'lease_owner', nullable: true })
  leaseOwner: string | null;

  @Column('timestamptz', { name: 'lease_expires_at', nullable: true })
  leaseExpiresAt: Date | null;

  @Column('timestamptz', { name: 'first_failed_at', nullable: true })
  firstFailedAt: Date | null;
}
