import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponse } from '../common/errors/error-response';
import type { Response } from 'express';
import type { AuthUser } from '../common/auth/auth-user';
import { CurrentUser, Roles } from '../common/auth/decorators';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { RateLimitGroup } from '../common/rate-limit/rate-limit-group.decorator';
import { BatchResponse, CancelJobResult, JobSummary, JobView } from './dto/job-views.dto';
import { SubmitBatchRequest, SubmitJobRequest } from './dto/submit-job.dto';
import { JobsService } from './jobs.service';
import { Audited, lengthOf, fieldOf } from '../audit/audited.decorator';

const VISIBILITY =
  "Every role: a `user` reaches only the jobs it submitted (its token's `sub`); `venue_admin` and `admin` every job of the token's tenant. " +
  "Any other job (another user's, another tenant's) answers 404, exactly as a missing id.";
/** The API limit's 429 (with Retry-After), and the tenant quotas' (details name the quota). */
const OverLimitOrQuota = () => ApiResponse({
  status: 429,
  type: ErrorResponse,
  description:
    'Too many requests for this caller and route group (retry after the Retry-After header), or over a tenant quota: ' +
    '`details[0].field` is `quota.waitingJobs` or `quota.redisBytes` and the message names this tenant\'s limit. ' +
    'Nothing of the request was created; submit again once jobs of the tenant have finished.',
  headers: { 'Retry-After': { description: 'Seconds to wait before the next request (API limit only)', schema: { type: 'integer', minimum: 0 } } },
});
const NO_SUCH_JOB: [404, string] = [404, 'No such job for this caller (missing, another tenant\'s, or for a user another user\'s)'];

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
  @OverLimitOrQuota()
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
  @Audited('job.batch-submit', { details: ({ body, response }) => ({ submitted: lengthOf(fieldOf(body, 'jobs')), accepted: lengthOf(fieldOf(response, 'jobs')) }) })
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
  @OverLimitOrQuota()
  async submitBatch(@CurrentUser() user: AuthUser, @Body() body: SubmitBatchRequest): Promise<BatchResponse> {
    const outcomes = await this.jobs.submitBatch(user, body.jobs);
    return { jobs: outcomes.map((outcome) => outcome.job) };
  }

  @Get(':id')
  @ApiOperation({
    summary: 'A job: status, attempts, progress, result or error, timestamps',
    description: VISIBILITY,
  })
  @ApiOkResponse({ type: JobView })
  @ApiErrors([400, 'The id is not a UUID'], NO_SUCH_JOB)
  get(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<JobView> {
    return this.jobs.get(user, id);
  }

  @Post(':id/retry')
  @Audited('job.retry', { target: 'params.id' })
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Run a failed job again from its first attempt', description: VISIBILITY })
  @ApiAcceptedResponse({ type: JobSummary })
  @ApiErrors([400, 'The id is not a UUID'], NO_SUCH_JOB, [409, 'The job has not failed, or is still running'])
  retry(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<JobSummary> {
    return this.jobs.retry(user, id);
  }

  @Delete(':id')
  @Audited('job.cancel', { target: 'params.id' })
  @ApiOperation({ summary: 'Cancel a waiting or delayed job; a running job is flagged and not retried', description: VISIBILITY })
  @ApiOkResponse({ type: CancelJobResult })
  @ApiErrors([400, 'The id is not a UUID'], NO_SUCH_JOB, [409, 'The job has already finished'])
  cancel(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<CancelJobResult> {
    return this.jobs.cancel(user, id);
  }
}
