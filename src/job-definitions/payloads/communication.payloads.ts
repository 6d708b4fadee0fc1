import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, IsUrl, Length, Matches, MaxLength } from 'class-validator';
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
