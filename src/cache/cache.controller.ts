import { Controller, Delete, Get, HttpCode, HttpStatus } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/auth/decorators';
import { RateLimitGroup } from '../common/rate-limit/rate-limit-group.decorator';
import { Audited, fieldOf, numberOf } from '../audit/audited.decorator';
import { ServiceCache } from './service-cache';

export class CacheStatsView {
  @ApiProperty({ description: 'Reads answered from the cache, by every process since the last flush' }) hits: number;
  @ApiProperty({ description: 'Reads that went to the source, by every process since the last flush' }) misses: number;
  @ApiProperty({ description: 'Entries in the cache now' }) keys: number;
}

export class CacheFlushView {
  @ApiProperty({ description: 'Entries removed' }) flushed: number;
}

@ApiTags('cache')
@ApiBearerAuth()
@Roles('admin')
@RateLimitGroup('admin')
@Controller('cache')
export class CacheController {
  constructor(private readonly cache: ServiceCache) {}

  @Get('stats')
  @ApiOperation({ summary: 'Cache hits, misses and entries (queue status, API rate-limit overrides)' })
  @ApiOkResponse({ type: CacheStatsView })
  stats(): Promise<CacheStatsView> {
    return this.cache.stats();
  }

  @Delete('flush')
  @HttpCode(HttpStatus.OK)
  @Audited('cache.flush', { details: ({ response }) => ({ flushed: numberOf(fieldOf(response, 'flushed')) }) })
  @ApiOperation({ summary: 'Empty the cache in every process: the next reads go to the source' })
  @ApiOkResponse({ type: CacheFlushView })
  async flush(): Promise<CacheFlushView> {
    return { flushed: await this.cache.flush() };
  }
}
