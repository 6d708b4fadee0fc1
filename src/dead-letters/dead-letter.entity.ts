import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A job that failed for good (table dead_letter_jobs). The same job may appear more than
 * once: each time it is dead-lettered after a retry, a new entry records that failure.
 */
@Entity({ name: 'dead_letter_jobs' })
export class DeadLetterJob {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId: string;

  @Column('uuid', { name: 'job_id' })
  jobId: string;

  @Column('text')
  queue: string;

  @Column('text')
  type: string;

  @Column('jsonb')
  data: Record<string, unknown>;

  @Column('text', { name: 'idempotency_key', nullable: true })
  idempotencyKey: string | null;

  @Column('text', { name: 'error_type' })
  errorType: string;

  @Column('text', { name: 'error_message' })
  errorMessage: string;

  @Column('integer')
  attempts: number;

  @Column('timestamptz', { name: 'first_failed_at' })
  firstFailedAt: Date;

  @Column('timestamptz', { name: 'last_failed_at' })
  lastFailedAt: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
