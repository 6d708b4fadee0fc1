import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse, ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse,
  ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthUser } from '../common/auth/auth-user';
import { CurrentUser, Roles } from '../common/auth/decorators';
import { ErrorResponse } from '../common/errors/error-response';
import { RateLimitGroup } from '../common/rate-limit/rate-limit-group.decorator';
import { BatchResponse, JobSummary, JobView } from './dto/job-views.dto';
import { SubmitBatchRequest, SubmitJobRequest } from './dto/submit-job.dto';
import { JobsService } from './jobs.service';

@ApiTags('jobs')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing, invalid or expired token' })
@Controller('jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @RateLimitGroup('jobs-submit')
  @ApiOperation({ summary: 'Submit a job' })
  @ApiCreatedResponse({ type: JobSummary, description: 'Accepted' })
  @ApiOkResponse({ type: JobSummary, description: 'An earlier job with the same idempotency key' })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Unknown type or invalid data; details name each field' })
  async submit(
    @CurrentUser() user: AuthUser,
    @Body() body: SubmitJobRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<JobSummary> {
    const { job, created } = await this.jobs.submit(user, body);
    response.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return job;
  }

  @Post('batch')
  @Roles('admin', 'venue_admin')
  @RateLimitGroup('jobs-submit')
  @ApiOperation({ summary: 'Submit 1 to 1000 jobs, validated all or nothing' })
  @ApiCreatedResponse({ type: BatchResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Details name each bad item by index and field' })
  @ApiForbiddenResponse({ type: ErrorResponse })
  async submitBatch(@CurrentUser() user: AuthUser, @Body() body: SubmitBatchRequest): Promise<BatchResponse> {
    const outcomes = await this.jobs.submitBatch(user, body.jobs);
    return { jobs: outcomes.map((outcome) => outcome.job) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A job: status, attempts, progress, result or error, timestamps' })
  @ApiOkResponse({ type: JobView })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No such job for this tenant' })
  get(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<JobView> {
    return this.jobs.get(user, id);
  }

  @Post(':id/retry')
  @Roles('admin', 'venue_admin')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Run a failed job again from its first attempt' })
  @ApiAcceptedResponse({ type: JobSummary })
  @ApiConflictResponse({ type: ErrorResponse, description: 'The job has not failed' })
  @ApiNotFoundResponse({ type: ErrorResponse })
  @ApiForbiddenResponse({ type: ErrorResponse })
  retry(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<JobSummary> {
    return this.jobs.retry(user, id);
  }

  @Delete(':id')
  @Roles('admin', 'venue_admin')
  @ApiOperation({ summary: 'Cancel a waiting or delayed job; a running job is flagged and not retried' })
  @ApiOkResponse({ type: JobSummary })
  @ApiConflictResponse({ type: ErrorResponse, description: 'The job has already finished' })
  @ApiNotFoundResponse({ type: ErrorResponse })
  @ApiForbiddenResponse({ type: ErrorResponse })
  cancel(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string) {
    return this.jobs.cancel(user, id);
  }
}
