import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { JOB_STATUSES, JobStatus } from '../../job-definitions/job-status';
import { QUEUE_NAMES, QueueName } from '../../job-definitions/queue-names';

export class QueueCounts {
  @ApiProperty() waiting: number;
  @ApiProperty() active: number;
  @ApiProperty() delayed: number;
  @ApiProperty() completed: number;
  @ApiProperty() failed: number;
}

export class QueueStatusView {
  @ApiProperty({ enum: QUEUE_NAMES })
  name: QueueName;

  @ApiProperty()
  paused: boolean;

  @ApiProperty({ type: QueueCounts })
  counts: QueueCounts;
}

export class QueueJobsQuery {
  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptional() @IsIn(JOB_STATUSES)
  state?: JobStatus;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000)
  offset: number = 0;

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description:
      "A platform operator's listing shows every tenant's jobs; other tenants' personal data (e-mail addresses, phone numbers, " +
      'message texts, payment methods, customers, recipients\' wallets, free text) is replaced by "[redacted]" and named in ' +
      "each job's `redactedFields`. `true` shows it; such a read is audited. No effect on the caller's own tenant's jobs",
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  includePersonalData: boolean = false;
}

export class ClearQueueResult {
  @ApiProperty({ enum: QUEUE_NAMES })
  name: QueueName;

  @ApiProperty({ description: 'Waiting and delayed jobs removed; running jobs are never removed' })
  removed: number;
}
