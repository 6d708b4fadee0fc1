import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsDefined, IsEmail, IsIn, IsOptional, IsString, IsUrl, Length, Matches, MaxLength, ValidateBy, ValidateIf,
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

/** Internal: one event delivered to one receiver URL (submitted by the service, never by clients). */
export class WebhookDeliverPayload {
  @ApiProperty({ example: 'https://venue.example.com/hooks/tickets', maxLength: 2048 })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }) @MaxLength(2048)
  url: string;

  @ApiProperty({ example: 'payment.completed', maxLength: 100 })
  @IsString() @Length(1, 100) @Matches(/^[a-z0-9_.-]+$/)
  event: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The event body (≤16 KB as JSON)' })
  @IsBoundedObject(16_384)
  body: Record<string, unknown>;
}
