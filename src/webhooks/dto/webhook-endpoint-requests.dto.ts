import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Length, Max,
  MaxLength, Min,
} from 'class-validator';
import { WEBHOOK_EVENTS, WebhookEvent } from '../../job-definitions/payloads/communication.payloads';

const URL_RULES = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };
const URL_DESCRIPTION = 'Where events are posted. https in production; it may not resolve to a loopback, private or link-local address';

export class CreateWebhookEndpointRequest {
  @ApiProperty({ example: 'https://venue.example.com/hooks/tickets', maxLength: 2048, description: URL_DESCRIPTION })
  @IsUrl(URL_RULES) @MaxLength(2048)
  url: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true, minItems: 1, uniqueItems: true })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(WEBHOOK_EVENTS.length) @ArrayUnique() @IsIn(WEBHOOK_EVENTS, { each: true })
  events: WebhookEvent[];

  @ApiPropertyOptional({ maxLength: 200, example: 'Box office' })
  @IsOptional() @IsString() @Length(1, 200)
  description?: string;
}

export class UpdateWebhookEndpointRequest {
  @ApiPropertyOptional({ maxLength: 2048, description: URL_DESCRIPTION })
  @IsOptional() @IsUrl(URL_RULES) @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENTS, isArray: true, minItems: 1, uniqueItems: true })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(WEBHOOK_EVENTS.length) @ArrayUnique() @IsIn(WEBHOOK_EVENTS, { each: true })
  events?: WebhookEvent[];

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional() @IsString() @Length(1, 200)
  description?: string;

  @ApiPropertyOptional({ description: 'A disabled endpoint gets no new deliveries; pending ones end without being sent' })
  @IsOptional() @IsBoolean()
  enabled?: boolean;
}

export const MAX_DELIVERY_PAGE = 100;

export class WebhookDeliveriesQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_DELIVERY_PAGE, default: 20 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_DELIVERY_PAGE)
  limit: number = 20;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000)
  offset: number = 0;
}
