import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsDefined, IsEmail, IsIn, IsOptional, IsString, IsUUID, Length, Matches, MaxLength, ValidateBy, ValidateIf,
} from 'class-validator';
import { IsBoundedObject } from '../../common/validation/validators';

export const EMAIL_TEMPLATES = [
  'payment-confirmation',
  'refund-confirmation',
  'nft-minted',
  'admin-alert',
  'generic',
] as const;
export type EmailTemplate = (typeof EMAIL_TEMPLATES)[number];

/** Subjects become a mail header: a line break would let a value add headers of its own. */
const SINGLE_LINE = /^[^\r\n]*$/;

const withoutTemplate: PropertyDecorator = ValidateBy({
  name: 'withoutTemplate',
  validator: {
    validate: (_value, args) => (args?.object as EmailSendPayload).template === undefined,
    defaultMessage: () => 'body cannot be combined with template: give a template and its data, or a subject and a body',
  },
});

/**
 * Either a template and its data, or a subject and a plain-text body (shown in the shared
 * layout). With a template, `subject` replaces the template's own.
 */
export class EmailSendPayload {
  @ApiProperty({ example: 'fan@example.com', format: 'email', maxLength: 254 })
  @IsEmail() @MaxLength(254)
  to: string;

  @ApiPropertyOptional({ enum: EMAIL_TEMPLATES, description: 'Required unless `subject` and `body` are given' })
  @ValidateIf((payload: EmailSendPayload) => payload.body === undefined || payload.template !== undefined)
  @IsDefined({ message: 'template is required unless subject and body are given' })
  @IsIn(EMAIL_TEMPLATES)
  template?: EmailTemplate;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Template variables (≤16 KB as JSON); required with `template`' })
  @ValidateIf((payload: EmailSendPayload) => payload.template !== undefined || payload.data !== undefined)
  @IsDefined({ message: 'data is required with template' })
  @IsBoundedObject(16_384)
  data?: Record<string, unknown>;

  @ApiPropertyOptional({ maxLength: 200, description: 'One line; required with `body`' })
  @ValidateIf((payload: EmailSendPayload) => payload.body !== undefined || payload.subject !== undefined)
  @IsDefined({ message: 'subject is required with body' })
  @IsString() @Length(1, 200)
  @Matches(SINGLE_LINE, { message: 'subject must be a single line (no CR or LF)' })
  subject?: string;

  @ApiPropertyOptional({ maxLength: 20_000, description: 'Plain text, instead of a template; shown escaped in the HTML part' })
  @IsOptional() @IsString() @Length(1, 20_000)
  @withoutTemplate
  body?: string;
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
export const WEBHOOK_EVENTS = ['payment.completed', 'refund.completed', 'nft.minted', 'operation.failed', 'alert.raised'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export function isWebhookEvent(value: unknown): value is WebhookEvent {
  return (WEBHOOK_EVENTS as readonly unknown[]).includes(value);
}

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
