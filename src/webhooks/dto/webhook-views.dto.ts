import { ApiProperty } from '@nestjs/swagger';
import { WEBHOOK_EVENTS, WebhookEvent } from '../../job-definitions/payloads/communication.payloads';
import { DELIVERY_STATUSES, DeliveryStatus } from '../webhook-delivery.entity';

export class WebhookEndpointView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'https://venue.example.com/hooks/tickets' })
  url: string;

  @ApiProperty({ nullable: true, type: String })
  description: string | null;

  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true })
  events: WebhookEvent[];

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: Date;
}

/** The only answers that show the secret: creation and rotation. */
export class WebhookEndpointWithSecret extends WebhookEndpointView {
  @ApiProperty({
    example: 'whsec_3q2-7wEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    description: 'Signs every delivery (X-Webhook-Signature). Shown only now: store it; rotate it if it is lost',
  })
  secret: string;
}

export class WebhookDeliveryView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid', description: 'The delivery (its webhook-deliver job, the X-Webhook-Id header): shared by its attempts' })
  jobId: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS })
  event: WebhookEvent;

  @ApiProperty({ description: '1 for the first attempt of the delivery' })
  attempt: number;

  @ApiProperty({ enum: DELIVERY_STATUSES })
  status: DeliveryStatus;

  @ApiProperty({ nullable: true, type: Number, description: "The receiver's HTTP status; null when none came" })
  responseCode: number | null;

  @ApiProperty({ nullable: true, type: String, example: 'webhook_unavailable: The receiver answered 503' })
  error: string | null;

  @ApiProperty()
  durationMs: number;

  @ApiProperty({ type: String, format: 'date-time' })
  attemptedAt: Date;
}

export class WebhookDeliveryPage {
  @ApiProperty({ type: [WebhookDeliveryView], description: 'Newest first' })
  items: WebhookDeliveryView[];

  @ApiProperty({ description: 'Attempts in all pages' })
  total: number;

  @ApiProperty()
  limit: number;

  @ApiProperty()
  offset: number;
}
