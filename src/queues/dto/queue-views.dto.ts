import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
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
}

export class ClearQueueResult {
  @ApiProperty({ enum: QUEUE_NAMES })
  name: QueueName;

  @ApiProperty({ description: 'Waiting and delayed jobs removed; running jobs are never removed' })
  removed: number;
}
