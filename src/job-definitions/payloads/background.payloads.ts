import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { ISO_TIMESTAMP_DESCRIPTION, IsIsoTimestamp } from '../../common/validation/iso-timestamp';
import { IsBoundedObject } from '../../common/validation/validators';

export class AnalyticsProcessPayload {
  @ApiProperty({ example: 'ticket.scanned', maxLength: 100 })
  @IsString() @Length(1, 100) @Matches(/^[A-Za-z0-9_.:-]+$/)
  event: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional() @IsBoundedObject(16_384)
  properties?: Record<string, unknown>;

  @ApiPropertyOptional({ format: 'date-time', description: `Time of the event; ${ISO_TIMESTAMP_DESCRIPTION}`, example: '2026-11-27T20:00:00Z' })
  @IsOptional() @IsIsoTimestamp()
  occurredAt?: string;
}

export const CLEANUP_TARGETS = ['completed-jobs', 'job-records', 'idempotency-keys', 'dead-letter', 'all'] as const;
export type CleanupTarget = (typeof CLEANUP_TARGETS)[number];

export class CleanupPayload {
  @ApiProperty({ enum: CLEANUP_TARGETS })
  @IsIn(CLEANUP_TARGETS)
  target: CleanupTarget;

  @ApiProperty({ minimum: 1, maximum: 3650 })
  @IsInt() @Min(1) @Max(3650)
  olderThanDays: number;
}

export const SCHEDULED_TASKS = ['queue-metrics-snapshot', 'queue-metrics-retention', 'monitoring-check', 'idempotency-cleanup', 'dlq-retention'] as const;
export type ScheduledTaskName = (typeof SCHEDULED_TASKS)[number];

export class ScheduledTaskPayload {
  @ApiProperty({ enum: SCHEDULED_TASKS })
  @IsIn(SCHEDULED_TASKS)
  task: ScheduledTaskName;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional() @IsBoundedObject(16_384)
  params?: Record<string, unknown>;
}
