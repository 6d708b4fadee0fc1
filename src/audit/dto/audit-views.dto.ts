import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { ISO_TIMESTAMP_DESCRIPTION, IsIsoTimestamp } from '../../common/validation/iso-timestamp';
import { ROLES, type Role } from '../../common/auth/auth-user';
import { AUDIT_OUTCOMES, type AuditDetails, type AuditOutcome } from '../audit-entry';

export const MAX_AUDIT_PAGE = 100;
// eslint-disable-next-line no-control-regex
const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;

export class AuditListQuery {
  @ApiPropertyOptional({ description: 'The token subject (`sub`) of who acted', maxLength: 200 })
  @IsOptional() @IsString() @Length(1, 200) @Matches(PRINTABLE, { message: 'actor must not contain control characters' })
  actor?: string;

  @ApiPropertyOptional({ example: 'queue.pause', maxLength: 100, description: 'An action name, as listed in README "Audit trail"' })
  @IsOptional() @IsString() @Length(1, 100) @Matches(/^[a-z0-9.-]+$/, { message: 'action must be lower-case letters, digits, dots and dashes' })
  action?: string;

  @ApiPropertyOptional({ example: 'money', maxLength: 200, description: 'What the action was on: a job, entry, schedule, alert or endpoint id, a queue or provider name' })
  @IsOptional() @IsString() @Length(1, 200) @Matches(PRINTABLE, { message: 'target must not contain control characters' })
  target?: string;

  @ApiPropertyOptional({ format: 'date-time', description: `Entries at or after this instant. ${ISO_TIMESTAMP_DESCRIPTION}` })
  @IsOptional() @IsIsoTimestamp()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: `Entries before this instant. ${ISO_TIMESTAMP_DESCRIPTION}` })
  @IsOptional() @IsIsoTimestamp()
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_AUDIT_PAGE, default: 20 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_AUDIT_PAGE)
  limit: number = 20;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000)
  offset: number = 0;
}

export class AuditEntryView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid', description: "The actor's tenant (a platform operator's home tenant)" }) tenantId: string;
  @ApiProperty({ description: 'The token subject (`sub`)' }) actor: string;
  @ApiProperty({ enum: ROLES, isArray: true }) roles: Role[];
  @ApiProperty({ example: 'queue.pause' }) action: string;
  @ApiProperty({ type: String, nullable: true, example: 'money' }) target: string | null;
  @ApiProperty({ type: String, nullable: true }) requestId: string | null;
  @ApiProperty({ enum: AUDIT_OUTCOMES, description: 'refused: a 4xx answer; failed: a 5xx answer or a response cut short' })
  outcome: AuditOutcome;
  @ApiProperty({ type: Number, nullable: true, description: 'The HTTP status the caller received' }) statusCode: number | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
    description: 'Small non-personal facts: counts, names, flags',
  })
  details: AuditDetails;
  @ApiProperty({ format: 'date-time' }) occurredAt: string;
}

export class AuditPage {
  @ApiProperty({ type: [AuditEntryView] }) items: AuditEntryView[];
  @ApiProperty({ description: 'Matching entries in all pages' }) total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}
