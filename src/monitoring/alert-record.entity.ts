import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** One alert the service raised, for a tenant or (tenantId null) service-wide (table alert_history). */
@Entity({ name: 'alert_history' })
export class AlertRecord {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'tenant_id', nullable: true })
  tenantId: string | null;

  @Column('text')
  severity: AlertSeverity;

  @Column('text')
  kind: string;

  @Column('text', { nullable: true })
  queue: string | null;

  @Column('text')
  message: string;

  @Column('jsonb')
  details: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'acknowledged_at', nullable: true })
  acknowledgedAt: Date | null;

  @Column('text', { name: 'acknowledged_by', nullable: true })
  acknowledgedBy: string | null;

  /** The monitoring condition this alert reports (e.g. `queue_depth:money`); null for other alerts. */
  @Column('text', { name: 'condition_key', nullable: true })
  conditionKey: string | null;

  @Column('timestamptz', { name: 'last_seen_at', nullable: true })
  lastSeenAt: Date | null;

  @Column('timestamptz', { name: 'resolved_at', nullable: true })
  resolvedAt: Date | null;
}
