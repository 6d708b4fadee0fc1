import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { WebhookEvent } from '../job-definitions/payloads/communication.payloads';

export const DELIVERY_STATUSES = ['succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One attempt to deliver an event to an endpoint (table webhook_deliveries). */
@Entity({ name: 'webhook_deliveries' })
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId: string;

  @Column('uuid', { name: 'endpoint_id' })
  endpointId: string;

  /** The webhook-deliver job; every attempt of one delivery shares it (it is the X-Webhook-Id). */
  @Column('uuid', { name: 'job_id' })
  jobId: string;

  @Column('text')
  event: WebhookEvent;

  @Column('integer')
  attempt: number;

  @Column('text')
  status: DeliveryStatus;

  /** The receiver's HTTP status; null when none came (refused address, network error, timeout). */
  @Column('integer', { name: 'response_code', nullable: true })
  responseCode: number | null;

  @Column('text', { nullable: true })
  error: string | null;

  @Column('integer', { name: 'duration_ms' })
  durationMs: number;

  @Column('timestamptz', { name: 'attempted_at' })
  attemptedAt: Date;
}
