import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { IsBoundedObject } from '../../common/validation/validators';

export const EMAIL_TEMPLATES = [
  'payment-confirmation',
  'refund-confirmation',
  'nft-minted',
  'admin-alert',
  'generic',
] as const;
export type EmailTemplate = (typeof EMAIL_TEMPLATES)[number];

export class EmailSendPayload {
  @ApiProperty({ example: 'fan@example.com' })
  @IsEmail() @MaxLength(254)
  to: string;

  @ApiProperty({ enum: EMAIL_TEMPLATES })
  @IsIn(EMAIL_TEMPLATES)
  template: EmailTemplate;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Template variables (≤16 KB as JSON)' })
  @IsBoundedObject(16_384)
  data: Record<string, unknown>;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional() @IsString() @Length(1, 200)
  subject?: string;
}

export class SmsSendPayload {
  @ApiProperty({ description: 'E.164 phone number', example: '+14155550123' })
  @IsString() @Matches(/^\+[1-9]\d{6,14}$/, { message: 'to must be an E.164 phone number such as +14155550123' })
  to: string;

  @ApiProperty({ maxLength: 1600 })
  @IsString() @Length(1, 1600)
  body: string;
}

/** The events a webhook endpoint may subscribe to. */
export const WEBHOOK_EVENTS = ['payment.completed', 'refund.completed', 'nft.minted', 'operation.failed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/**
 * Internal: an event of a tenant, fanned out to each of its enabled endpoints subscribed to it
 * as one `webhook-deliver` job per endpoint (submitted by the service, never by clients).
 */
export class WebhookEventPayload {
  @ApiProperty({ enum: WEBHOOK_EVENTS })
  @IsIn(WEBHOOK_EVENTS)
  event: WebhookEvent;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The event body (≤16 KB as JSON); no personal data' })
  @IsBoundedObject(16_384)
  body: Record<string, unknown>;
}

/**
 * Internal: one event delivered to one endpoint. The endpoint's URL and secret are read when the
 * delivery runs, so a changed URL, a rotated secret or a disabled endpoint takes effect at once.
 */
export class WebhookDeliverPayload {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  endpointId: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS })
  @IsIn(WEBHOOK_EVENTS)
  event: WebhookEvent;

  @ApiProperty({ format: 'uuid', description: 'The webhook-event job this delivery came from: the same for every endpoint' })
  @IsUUID()
  eventId: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The event body (≤16 KB as JSON)' })
  @IsBoundedObject(16_384)
  body: Record<string, unknown>;
}
