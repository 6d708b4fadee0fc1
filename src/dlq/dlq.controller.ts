import {
  Body, Controller, Delete, Get, HttpCode, HttpStatus, Logger, Param, ParseUUIDPipe, Post, Query, Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse, ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiForbiddenResponse,
  ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthUser } from '../common/auth/auth-user';
import { CurrentUser, Roles } from '../common/auth/decorators';
import { ErrorResponse } from '../common/errors/error-response';
import { JobSummary } from '../jobs/dto/job-views.dto';
import { filterOf } from './dead-letter-view.mapper';
import { CONTENT_TYPES } from './dlq-export.format';
import { DlqExporter } from './dlq-exporter';
import { DlqService } from './dlq.service';
import { BulkRetryRequest } from './dto/bulk-retry.dto';
import { DlqExportQuery, DlqFilterDto, DlqListQuery } from './dto/dlq-filter.dto';
import { BulkRetryResult, DeadLetterPage, DeadLetterStats, DeadLetterView, ErrorTypeCount } from './dto/dlq-views.dto';

/** Static routes come before `:id`, which only matches a UUID anyway. */
@ApiTags('dlq')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing, invalid or expired token' })
@ApiForbiddenResponse({ type: ErrorResponse, description: 'Requires the admin or venue_admin role' })
@Roles('admin', 'venue_admin')
@Controller('dlq')
export class DlqController {
  private readonly logger = new Logger(DlqController.name);

  constructor(
    private readonly dlq: DlqService,
    private readonly exporter: DlqExporter,
  ) {}

  @Get()
  @ApiOperation({ summary: "A page of the tenant's dead-lettered jobs, newest first" })
  @ApiOkResponse({ type: DeadLetterPage })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Details name each bad query parameter' })
  list(@CurrentUser() user: AuthUser, @Query() query: DlqListQuery): Promise<DeadLetterPage> {
    return this.dlq.list(user, query);
  }

  @Get('stats')
  @ApiOperation({ summary: 'Entries by queue and by type, with the oldest and newest entry times' })
  @ApiOkResponse({ type: DeadLetterStats })
  @ApiBadRequestResponse({ type: ErrorResponse })
  stats(@CurrentUser() user: AuthUser, @Query() query: DlqFilterDto): Promise<DeadLetterStats> {
    return this.dlq.stats(user, query);
  }

  @Get('failures-by-error')
  @ApiOperation({ summary: 'Entries grouped by error type, most frequent first' })
  @ApiOkResponse({ type: [ErrorTypeCount] })
  @ApiBadRequestResponse({ type: ErrorResponse })
  failuresByError(@CurrentUser() user: AuthUser, @Query() query: DlqFilterDto): Promise<ErrorTypeCount[]> {
    return this.dlq.failuresByError(user, query);
  }

  @Get('export')
  @ApiOperation({ summary: 'Every matching entry as a streamed JSON array or CSV file (with a header row)' })
  @ApiProduces(CONTENT_TYPES.json, CONTENT_TYPES.csv)
  @ApiOkResponse({ description: 'An attachment; JSON items have the shape of GET /dlq/{id}' })
  @ApiBadRequestResponse({ type: ErrorResponse })
  async export(@CurrentUser() user: AuthUser, @Query() query: DlqExportQuery, @Res() response: Response): Promise<void> {
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
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No such entry for this tenant' })
  get(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<DeadLetterView> {
    return this.dlq.get(user, id);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Forget an entry without running its job again' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorResponse })
  delete(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.dlq.delete(user, id);
  }

  @Post('retry')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Retry entries by id, or the oldest entries matching a filter; each succeeds or fails on its own' })
  @ApiOkResponse({ type: BulkRetryResult })
  @ApiBadRequestResponse({ type: ErrorResponse })
  retryMany(@CurrentUser() user: AuthUser, @Body() body: BulkRetryRequest): Promise<BulkRetryResult> {
    return this.dlq.retryMany(user, body);
  }

  @Post(':id/retry')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Run the job again under its original id and idempotency key; the entry is removed' })
  @ApiAcceptedResponse({ type: JobSummary })
  @ApiNotFoundResponse({ type: ErrorResponse })
  @ApiConflictResponse({ type: ErrorResponse, description: 'The job is running, or was retried since' })
  retry(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<JobSummary> {
    return this.dlq.retry(user, id);
  }
}
