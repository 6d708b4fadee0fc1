import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { ISO_TIMESTAMP_DESCRIPTION, IsIsoTimestamp } from '../../common/validation/iso-timestamp';
import { ALERT_SEVERITIES, AlertSeverity } from '../../monitoring/alert-record.entity';
import { ALERT_CHANNELS, AlertChannel } from '../alert-deliveries';

export const MAX_ALERT_PAGE = 100;

export class AlertListQuery {
  @ApiPropertyOptional({ enum: ALERT_SEVERITIES })
  @IsOptional() @IsIn(ALERT_SEVERITIES)
  severity?: AlertSeverity;

  @ApiPropertyOptional({ type: Boolean, description: 'true: acknowledged alerts only; false: unacknowledged only' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  acknowledged?: boolean;

  @ApiPropertyOptional({ format: 'date-time', description: `Alerts raised at or after this instant; ${ISO_TIMESTAMP_DESCRIPTION}` })
  @IsOptional() @IsIsoTimestamp()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: `Alerts raised before this instant; ${ISO_TIMESTAMP_DESCRIPTION}` })
  @IsOptional() @IsIsoTimestamp()
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_ALERT_PAGE, default: 20 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_ALERT_PAGE)
  limit: number = 20;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000)
  offset: number = 0;
}

export class AlertView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Null for a service-wide alert (operators only)' })
  tenantId: string | null;
  @ApiProperty({ enum: ALERT_SEVERITIES }) severity: AlertSeverity;
  @ApiProperty({ example: 'monitoring.queue_depth' }) kind: string;
  @ApiProperty({ type: String, nullable: true }) queue: string | null;
  @ApiProperty() message: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true, description: 'The monitoring condition it reports, e.g. queue_depth:money' })
  conditionKey: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The last check that found the condition still true' })
  lastSeenAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The first check that found the condition cleared' })
  resolvedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) acknowledgedAt: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'tenantId:userId of who acknowledged it' })
  acknowledgedBy: string | null;
}

export class AlertPage {
  @ApiProperty({ type: [AlertView] }) items: AlertView[];
  @ApiProperty({ description: 'Matching alerts in all pages' }) total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}

export const DELIVERY_OUTCOMES = ['delivered', 'failed', 'retrying', 'pending'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export class ChannelResult {
  @ApiProperty({ enum: ALERT_CHANNELS }) channel: AlertChannel;
  @ApiPropertyOptional({ description: 'The address or number (e-mail and SMS)' }) to?: string;
  @ApiProperty({ format: 'uuid', description: 'The delivery job (GET /jobs/{id} with the tenant that owns it)' }) jobId: string;
  @ApiProperty({ enum: DELIVERY_OUTCOMES, description: 'retrying: an attempt failed and another is due; pending: no outcome within the wait' })
  outcome: DeliveryOutcome;
  @ApiProperty({ description: 'True when the channel delivered' }) succeeded: boolean;
}

export class AlertTestResult {
  @ApiProperty({ type: AlertView }) alert: AlertView;
  @ApiProperty({ type: [ChannelResult], description: 'One entry per configured channel and recipient' }) channels: ChannelResult[];
}
