import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { clientJobTypes, ClientJobType } from '../../job-definitions/job-types';
import { MISSED_TICK_POLICIES, MissedTickPolicy } from '../schedule.entity';

const CRON_DESCRIPTION = 'A cron expression: 5 fields, or 6 with seconds first (e.g. `0 30 2 * * *`)';
const ZONE_DESCRIPTION = 'The IANA time zone the expression is read in; daylight-saving changes follow it';
const POLICY_DESCRIPTION = 'A tick missed while every process was down: run once on start, or skip it. Never once per missed tick';
const DATA_DESCRIPTION = "The job's data, validated like the `data` of POST /jobs for the type";

export class CreateScheduleRequest {
  @ApiProperty({ maxLength: 200, example: 'nightly-analytics' })
  @IsString() @Length(1, 200)
  name: string;

  @ApiProperty({ example: '0 30 2 * * *', maxLength: 120, description: CRON_DESCRIPTION })
  @IsString() @Length(1, 120)
  cron: string;

  @ApiPropertyOptional({ example: 'Europe/Berlin', default: 'UTC', maxLength: 64, description: ZONE_DESCRIPTION })
  @IsOptional() @IsString() @Length(1, 64)
  timezone?: string;

  @ApiProperty({ enum: clientJobTypes() })
  @IsIn(clientJobTypes())
  jobType: ClientJobType;

  @ApiProperty({ type: 'object', additionalProperties: true, description: DATA_DESCRIPTION })
  @IsObject()
  jobData: Record<string, unknown>;

  @ApiPropertyOptional({ default: true })
  @IsOptional() @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ enum: MISSED_TICK_POLICIES, default: 'run-once', description: POLICY_DESCRIPTION })
  @IsOptional() @IsIn(MISSED_TICK_POLICIES)
  missedTickPolicy?: MissedTickPolicy;
}

export class UpdateScheduleRequest {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional() @IsString() @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ maxLength: 120, description: CRON_DESCRIPTION })
  @IsOptional() @IsString() @Length(1, 120)
  cron?: string;

  @ApiPropertyOptional({ maxLength: 64, description: ZONE_DESCRIPTION })
  @IsOptional() @IsString() @Length(1, 64)
  timezone?: string;

  @ApiPropertyOptional({ enum: clientJobTypes(), description: 'Changing the type needs jobData of that type' })
  @IsOptional() @IsIn(clientJobTypes())
  jobType?: ClientJobType;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: DATA_DESCRIPTION })
  @IsOptional() @IsObject()
  jobData?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'A disabled schedule keeps its row and fires no tick' })
  @IsOptional() @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ enum: MISSED_TICK_POLICIES, description: POLICY_DESCRIPTION })
  @IsOptional() @IsIn(MISSED_TICK_POLICIES)
  missedTickPolicy?: MissedTickPolicy;
}

export const MAX_SCHEDULE_PAGE = 100;

export class SchedulesQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_SCHEDULE_PAGE, default: 20 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_SCHEDULE_PAGE)
  limit: number = 20;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000)
  offset: number = 0;
}
