import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthUser } from '../common/auth/auth-user';
import { CurrentUser, Roles } from '../common/auth/decorators';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { RateLimitGroup } from '../common/rate-limit/rate-limit-group.decorator';
import { BatchResponse, CancelJobResult, JobSummary, JobView } from './dto/job-views.dto';
import { SubmitBatchRequest, SubmitJobRequest } from './dto/submit-job.dto';
import { JobsService } from './jobs.service';

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @RateLimitGroup('jobs-submit')
  @ApiOperation({
    summary: 'Submit a job',
    description: 'Each type names the roles that may submit it (see its schema, e.g. RefundProcessJobSubmission). A priority above normal is for venue_admin and admin.',
  })
  @ApiCreatedResponse({ type: JobSummary, description: 'Accepted' })
  @ApiOkResponse({ type: JobSummary, description: 'An earlier job with the same idempotency key' })
  @ApiErrors(
    [400, 'Unknown type or invalid data; details name each field'],
    [403, 'The role may not submit this type, priority or cleanup target; details name the field (type, options.priority, data.target) and the roles'],
    [409, 'A request with this idempotency key is still being accepted; try again shortly'],
    [422, 'An idempotency key was reused with a different request, or a refund does not fit a payment of this tenant (details name data.paymentIntentId or data.amount)'],
  )
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
  @ApiErrors(
    [400, 'Details name each bad item by index and field'],
    [403, 'Not venue_admin or admin; or an item the role may not submit (details name jobs.N.type, jobs.N.options.priority or jobs.N.data.target and the roles)'],
    [409, 'A request with one of these idempotency keys is still being accepted; try again shortly'],
    [422, 'An idempotency key was reused with a different request, or a refund does not fit a payment of this tenant; details name each item (jobs.N.data.paymentIntentId, jobs.N.data.amount)'],
  )
  async submitBatch(@CurrentUser() user: AuthUser, @Body() body: SubmitBatchRequest): Promise<BatchResponse> {
    const outcomes = await this.jobs.submitBatch(user, body.jobs);
    return { jobs: outcomes.map((outcome) => outcome.job) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A job: status, attempts, progress, result or error, timestamps' })
  @ApiOkResponse({ type: JobView })
  @ApiErrors([400, 'The id is not a UUID'], [404, 'No such job for this tenant'])
  get(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<JobView> {
    return this.jobs.get(user, id);
  }

  @Post(':id/retry')
  @Roles('admin', 'venue_admin')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Run a failed job again from its first attempt' })
  @ApiAcceptedResponse({ type: JobSummary })
  @ApiErrors([400, 'The id is not a UUID'], [404, 'No such job for this tenant'], [409, 'The job has not failed, or is still running'])
  retry(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<JobSummary> {
    return this.jobs.retry(user, id);
  }

  @Delete(':id')
  @Roles('admin', 'venue_admin')
  @ApiOperation({ summary: 'Cancel a waiting or delayed job; a running job is flagged and not retried' })
  @ApiOkResponse({ type: CancelJobResult })
  @ApiErrors([400, 'The id is not a UUID'], [404, 'No such job for this tenant'], [409, 'The job has already finished'])
  cancel(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<CancelJobResult> {
    return this.jobs.cancel(user, id);
  }
}
