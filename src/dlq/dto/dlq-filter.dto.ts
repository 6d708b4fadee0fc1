import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { ISO_TIMESTAMP_DESCRIPTION, IsIsoTimestamp, IsNotBefore } from '../../common/validation/iso-timestamp';
import { JOB_TYPE_NAMES, JobType } from '../../job-definitions/job-types';
import { QUEUE_NAMES, QueueName } from '../../job-definitions/queue-names';

export const MAX_PAGE_SIZE = 100;
export const EXPORT_FORMATS = ['json', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Narrows dead-letter entries; every field optional, all given ones must match. */
export class DlqFilterDto {
  @ApiPropertyOptional({ enum: QUEUE_NAMES })
  @IsOptional() @IsIn(QUEUE_NAMES)
  queue?: QueueName;

  @ApiPropertyOptional({ enum: JOB_TYPE_NAMES })
  @IsOptional() @IsIn(JOB_TYPE_NAMES)
  type?: JobType;

  @ApiPropertyOptional({ example: 'card_declined', maxLength: 100 })
  @IsOptional() @IsString() @Length(1, 100)
  errorType?: string;

  @ApiPropertyOptional({ format: 'date-time', description: `Entries dead-lettered at or after this instant; ${ISO_TIMESTAMP_DESCRIPTION}` })
  @IsOptional() @IsIsoTimestamp()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: `Entries dead-lettered before this instant; ${ISO_TIMESTAMP_DESCRIPTION}` })
  @IsOptional() @IsIsoTimestamp() @IsNotBefore('from')
  to?: string;
}

export class DlqListQuery extends DlqFilterDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE_SIZE)
  limit: number = 20;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000)
  offset: number = 0;
}

export class DlqExportQuery extends DlqFilterDto {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'json' })
  @IsOptional() @IsIn(EXPORT_FORMATS)
  format: ExportFormat = 'json';
}
