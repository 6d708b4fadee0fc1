import {
  Body, Controller, Delete, Get, HttpCode, HttpStatus, Logger, Param, ParseUUIDPipe, Post, Query, Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags, getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthUser } from '../common/auth/auth-user';
import { AppConfig } from '../config/app-config';
import { CurrentUser, Roles } from '../common/auth/decorators';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { ErrorResponse } from '../common/errors/error-response';
import { JobSummary } from '../jobs/dto/job-views.dto';
import { filterOf } from './dead-letter-view.mapper';
import { CONTENT_TYPES, CSV_COLUMNS } from './dlq-export.format';
import { DlqExporter } from './dlq-exporter';
import { ExportSlots } from './export-slots';
import { DlqService } from './dlq.service';
import { BulkRetryRequest } from './dto/bulk-retry.dto';
import { DlqExportQuery, DlqFilterDto, DlqListQuery } from './dto/dlq-filter.dto';
import { BulkRetryResult, DeadLetterPage, DeadLetterStats, DeadLetterView, ErrorTypeCount } from './dto/dlq-views.dto';
import { Audited, lengthOf, fieldOf } from '../audit/audited.decorator';

/** Static routes come before `:id`, which only matches a UUID anyway. */
@ApiTags('dlq')
@ApiBearerAuth()
@Roles('admin', 'venue_admin')
@Controller('dlq')
export class DlqController {
  private readonly logger = new Logger(DlqController.name);

  constructor(
    private readonly dlq: DlqService,
    private readonly exporter: DlqExporter,
    private readonly slots: ExportSlots,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: "A page of the tenant's dead-lettered jobs, newest first" })
  @ApiOkResponse({ type: DeadLetterPage })
  @ApiErrors([400, 'Details name each bad query parameter'])
  list(@CurrentUser() user: AuthUser, @Query() query: DlqListQuery): Promise<DeadLetterPage> {
    return this.dlq.list(user, query);
  }

  @Get('stats')
  @ApiOperation({ summary: 'Entries by queue and by type, with the oldest and newest entry times' })
  @ApiOkResponse({ type: DeadLetterStats })
  @ApiErrors([400, 'Details name each bad query parameter'])
  stats(@CurrentUser() user: AuthUser, @Query() query: DlqFilterDto): Promise<DeadLetterStats> {
    return this.dlq.stats(user, query);
  }

  @Get('failures-by-error')
  @ApiOperation({ summary: 'Entries grouped by error type, most frequent first' })
  @ApiOkResponse({ type: [ErrorTypeCount] })
  @ApiErrors([400, 'Details name each bad query parameter'])
  failuresByError(@CurrentUser() user: AuthUser, @Query() query: DlqFilterDto): Promise<ErrorTypeCount[]> {
    return this.dlq.failuresByError(user, query);
  }

  @Get('export')
  @Audited('dlq.export', { details: ({ query }) => ({ format: typeof query.format === 'string' ? query.format : 'json' }) })
  @ApiOperation({ summary: 'Every matching entry as a streamed JSON array or CSV file (with a header row)' })
  @ApiOkResponse({
    description: 'An attachment (Content-Disposition); JSON items have the shape of GET /dlq/{id}',
    content: {
      'application/json': { schema: { type: 'array', items: { $ref: getSchemaPath(DeadLetterView) } } },
      'text/csv': { schema: { type: 'string', description: `A header row, then one row per entry: ${CSV_COLUMNS.join(', ')}` } },
    },
  })
  @ApiErrors([400, 'Details name each bad query parameter'])
  @ApiResponse({
    status: 429,
    type: ErrorResponse,
    description: 'This tenant already runs DLQ_EXPORT_MAX_PER_TENANT exports, or the service DLQ_EXPORT_MAX_CONCURRENT; ' +
      'also the API rate limit. Retry after the Retry-After header (seconds)',
    headers: { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 1 } } },
  })
  async export(@CurrentUser() user: AuthUser, @Query() query: DlqExportQuery, @Res() response: Response): Promise<void> {
    let release: () => void;
    try {
      release = this.slots.acquire(user.tenantId);
    } catch (error) {
      response.setHeader('Retry-After', String(Math.ceil(this.config.dlqExport.idleTimeoutMs / 1000)));
      throw error;
    }
    try {
      await this.stream(user, query, response);
    } finally {
      release();
    }
  }

  /** A client that reads nothing for DLQ_EXPORT_IDLE_TIMEOUT_MS is cut off (see DlqExporter). */
  private async stream(user: AuthUser, query: DlqExportQuery, response: Response): Promise<void> {
    const filename = `dead-letters-${new Date().toISOString().replace(/[:.]/g, '-')}.${query.format}`;
    response.status(HttpStatus.OK);
    response.setHeader('Content-Type', CONTENT_TYPES[query.format]);
    response.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    response.setHeader('Cache-Control', 'no-store');
    try {
      await this.exporter.export(user.tenantId, filterOf(query), query.format, response);
    } catch (error) {
      // Before the first byte the error filter still answers; after it, only cutting the
      // connection tells the client that the file is incomplete.
      if (!response.headersSent) {
        for (const header of ['Content-Type', 'Content-Disposition']) response.removeHeader(header);
        throw error;
      }
      this.logger.warn({ err: error, tenantId: user.tenantId }, 'Dead-letter export ended early');
      response.destroy();
    }
  }

  @Get(':id')
  @ApiOperation({ summary: 'One dead-letter entry' })
  @ApiOkResponse({ type: DeadLetterView })
  @ApiErrors([400, 'The id is not a UUID'], [404, 'No such entry for this tenant'])
  get(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<DeadLetterView> {
    return this.dlq.get(user, id);
  }

  @Delete(':id')
  @Audited('dlq.delete', { target: 'params.id' })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Forget an entry without running its job again' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors([400, 'The id is not a UUID'], [404, 'No such entry for this tenant'])
  delete(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.dlq.delete(user, id);
  }

  @Post('retry')
  @Audited('dlq.bulk-retry', {
    details: ({ body, response }) => ({
      byFilter: fieldOf(body, 'filter') !== undefined,
      requested: lengthOf(fieldOf(body, 'ids')),
      retried: lengthOf(fieldOf(response, 'retried')),
      notRetried: lengthOf(fieldOf(response, 'failed')),
    }),
  })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Retry entries by id, or the oldest entries matching a filter; each succeeds or fails on its own' })
  @ApiOkResponse({ type: BulkRetryResult })
  @ApiErrors([400, 'Invalid body; details name each bad field'])
  retryMany(@CurrentUser() user: AuthUser, @Body() body: BulkRetryRequest): Promise<BulkRetryResult> {
    return this.dlq.retryMany(user, body);
  }

  @Post(':id/retry')
  @Audited('dlq.retry', { target: 'params.id' })
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Run the job again under its original id and idempotency key; the entry is removed' })
  @ApiAcceptedResponse({ type: JobSummary })
  @ApiErrors(
    [400, 'The id is not a UUID'],
    [404, 'No such entry for this tenant'],
    [409, 'The job is running, was retried since, or its type no longer exists'],
  )
  retry(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<JobSummary> {
    return this.dlq.retry(user, id);
  }
}
