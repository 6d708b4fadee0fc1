import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public, Roles } from '../../common/auth/decorators';
import { ApiErrors } from '../../common/openapi/api-errors.decorator';
import { MetricFamilyView, QueueStatsReport, SystemStatsView } from '../dto/metrics-views.dto';
import { MetricsExposition } from './metrics-exposition';
import { QueueStats } from './queue-stats';
import { ScrapeAccessGuard } from './scrape-access.guard';
import { SystemStats } from './system-stats';

/** prom-client's content type for the text format (0.0.4). */
export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly exposition: MetricsExposition,
    private readonly queueStats: QueueStats,
    private readonly systemStats: SystemStats,
  ) {}

  @Get()
  @Public()
  @UseGuards(ScrapeAccessGuard)
  @Header('Content-Type', PROMETHEUS_TEXT)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics (text format 0.0.4)',
    description:
      'Open by default. With METRICS_TOKEN set it wants `Authorization: Bearer <METRICS_TOKEN>` (not a JWT); ' +
      'with METRICS_PORT set it is served open on that port only and answers 404 here. Labels never carry ids.',
  })
  @ApiOkResponse({ description: 'The exposition', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiErrors([401, 'METRICS_TOKEN is set and the request does not carry it'], [404, 'METRICS_PORT is set: scrape that port instead'])
  metrics(): Promise<string> {
    return this.exposition.text();
  }

  @Get('json')
  @ApiBearerAuth()
  @Roles('admin')
  @ApiOperation({ summary: 'The same metrics as JSON, for people and scripts' })
  @ApiOkResponse({ type: [MetricFamilyView] })
  json(): Promise<MetricFamilyView[]> {
    return this.exposition.json();
  }

  @Get('queue-stats')
  @ApiBearerAuth()
  @Roles('admin')
  @ApiOperation({ summary: 'Per queue: counts by state, throughput per minute, p50/p95 run time and success rate' })
  @ApiOkResponse({ type: QueueStatsReport })
  stats(): Promise<QueueStatsReport> {
    return this.queueStats.report();
  }

  @Get('system')
  @ApiBearerAuth()
  @Roles('admin')
  @ApiOperation({ summary: 'This process: memory, CPU, event-loop lag and uptime' })
  @ApiOkResponse({ type: SystemStatsView })
  system(): SystemStatsView {
    return this.systemStats.read();
  }
}
