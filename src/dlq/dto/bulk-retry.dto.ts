import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsInt, IsUUID, Max, Min, ValidateBy, ValidateIf,
  ValidateNested,
} from 'class-validator';
import { DlqFilterDto } from './dlq-filter.dto';

export const MAX_BULK_RETRY = 500;
export const DEFAULT_BULK_RETRY_LIMIT = 100;

/** The property may not be given together with `other`. */
function IsAbsentWith(other: string): PropertyDecorator {
  return ValidateBy({
    name: 'isAbsentWith',
    validator: {
      validate: (_value, args) => (args?.object as Record<string, unknown>)[other] === undefined,
      defaultMessage: (args) => `${args?.property} and ${other} cannot be given together`,
    },
  });
}

/** Either `ids`, or `filter` with an optional `limit`. */
export class BulkRetryRequest {
  @ApiPropertyOptional({ type: [String], format: 'uuid', minItems: 1, maxItems: MAX_BULK_RETRY, description: 'Dead-letter entry ids' })
  @ValidateIf((request: BulkRetryRequest) => request.ids !== undefined)
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(MAX_BULK_RETRY) @ArrayUnique() @IsUUID('all', { each: true })
  @IsAbsentWith('filter')
  ids?: string[];

  @ApiPropertyOptional({ type: DlqFilterDto, description: 'Retry the oldest entries matching this filter' })
  // Checked when given, and when ids is missing too: then the one problem is that neither is there.
  @ValidateIf((request: BulkRetryRequest) => request.filter !== undefined || request.ids === undefined)
  @ValidateBy({
    name: 'idsOrFilter',
    validator: {
      validate: (value) => value !== undefined && value !== null,
      defaultMessage: () => 'ids or filter is required',
    },
  })
  @ValidateNested() @Type(() => DlqFilterDto)
  filter?: DlqFilterDto;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_BULK_RETRY, default: DEFAULT_BULK_RETRY_LIMIT, description: 'With filter only' })
  @ValidateIf((request: BulkRetryRequest) => request.limit !== undefined)
  @IsInt() @Min(1) @Max(MAX_BULK_RETRY) @ValidateBy({
    name: 'onlyWithFilter',
    validator: {
      validate: (_value, args) => (args?.object as BulkRetryRequest).filter !== undefined,
      defaultMessage: () => 'limit can only be given with filter',
    },
  })
  limit?: number;
}
