import { ApiExtraModels, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, Min,
  ValidateNested,
} from 'class-validator';
import { JOB_PRIORITIES, JobPriority } from '../../job-definitions/job-status';
import { clientJobTypes, JOB_TYPES, JobType } from '../../job-definitions/job-types';

const CLIENT_TYPES = clientJobTypes();

export const MAX_DELAY_MS = 30 * 24 * 3600 * 1000;
export const MAX_BATCH_SIZE = 1000;

export class JobOptionsDto {
  @ApiPropertyOptional({ enum: JOB_PRIORITIES, default: 'normal' })
  @IsOptional() @IsIn(JOB_PRIORITIES)
  priority?: JobPriority;

  @ApiPropertyOptional({ description: 'Milliseconds to wait before the job may run', minimum: 0, maximum: MAX_DELAY_MS })
  @IsOptional() @IsInt() @Min(0) @Max(MAX_DELAY_MS)
  delay?: number;

  @ApiPropertyOptional({ description: 'Attempts before the job fails; defaults per queue', minimum: 1, maximum: 20 })
  @IsOptional() @IsInt() @Min(1) @Max(20)
  attempts?: number;

  @ApiPropertyOptional({ description: 'The same key from the same tenant returns the first job', maxLength: 255 })
  @IsOptional() @IsString() @Length(1, 255) @Matches(/^[\x21-\x7e]+$/, { message: 'idempotencyKey must be printable ASCII without spaces' })
  idempotencyKey?: string;
}

/** Its OpenAPI schema is the union of job-submission.schema.ts; `data` is validated per type. */
@ApiExtraModels(JobOptionsDto, ...CLIENT_TYPES.map((type) => JOB_TYPES[type].payload))
export class SubmitJobRequest {
  @IsIn(CLIENT_TYPES, { message: `type must be one of: ${CLIENT_TYPES.join(', ')}` })
  type: JobType;

  @IsObject()
  data: Record<string, unknown>;

  @IsOptional() @ValidateNested() @Type(() => JobOptionsDto)
  options?: JobOptionsDto;
}

export class SubmitBatchRequest {
  @ApiProperty({ type: [SubmitJobRequest], minItems: 1, maxItems: MAX_BATCH_SIZE })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(MAX_BATCH_SIZE)
  @ValidateNested({ each: true }) @Type(() => SubmitJobRequest)
  jobs: SubmitJobRequest[];
}
