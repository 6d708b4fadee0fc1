import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user';
import { CurrentUser, Roles } from '../common/auth/decorators';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { RateLimitGroup } from '../common/rate-limit/rate-limit-group.decorator';
import { JobPage } from '../jobs/dto/job-views.dto';
import { ClearQueueResult, QueueJobsQuery, QueueStatusView } from './dto/queue-views.dto';
import { ParseQueueNamePipe } from './queue-name.pipe';
import { QUEUE_NAMES, type QueueName } from '../job-definitions/queue-names';
import { QueuesService } from './queues.service';
import { Audited, fieldOf, numberOf } from '../audit/audited.decorator';

/** Any other name is answered 404 by ParseQueueNamePipe. */
const QueueNameParam = () => ApiParam({ name: 'name', enum: QUEUE_NAMES });
const NO_SUCH_QUEUE: [404, string] = [404, 'No such queue'];

@ApiTags('queues')
@ApiBearerAuth()
@Controller('queues')
export class QueuesController {
  constructor(private readonly queues: QueuesService) {}

  @Get()
  @ApiOperation({ summary: 'Every queue with its paused state and job counts' })
  @ApiOkResponse({ type: [QueueStatusView] })
  list(): Promise<QueueStatusView[]> {
    return this.queues.list();
  }

  @Get(':name/status')
  @ApiOperation({ summary: 'One queue: paused state and job counts' })
  @ApiOkResponse({ type: QueueStatusView })
  @QueueNameParam()
  @ApiErrors(NO_SUCH_QUEUE)
  status(@Param('name', ParseQueueNamePipe) name: QueueName): Promise<QueueStatusView> {
    return this.queues.status(name);
  }

  @Get(':name/jobs')
  @ApiOperation({
    summary: "A page of a queue's jobs, newest first",
    description:
      "A platform operator (`admin`) sees every tenant's jobs, other tenants' personal data redacted unless `includePersonalData=true`; " +
      "a `venue_admin` its tenant's; a `user` only the jobs it submitted.",
  })
  @ApiOkResponse({ type: JobPage })
  @QueueNameParam()
  @ApiErrors(NO_SUCH_QUEUE)
  jobs(
    @CurrentUser() user: AuthUser,
    @Param('name', ParseQueueNamePipe) name: QueueName,
    @Query() query: QueueJobsQuery,
  ): Promise<JobPage> {
    return this.queues.jobs(user, name, query);
  }

  @Post(':name/pause')
  @Audited('queue.pause', { target: 'params.name' })
  @Roles('admin')
  @RateLimitGroup('admin')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Pause a queue in every worker process' })
  @ApiOkResponse({ type: QueueStatusView })
  @QueueNameParam()
  @ApiErrors(NO_SUCH_QUEUE)
  pause(@Param('name', ParseQueueNamePipe) name: QueueName): Promise<QueueStatusView> {
    return this.queues.pause(name);
  }

  @Post(':name/resume')
  @Audited('queue.resume', { target: 'params.name' })
  @Roles('admin')
  @RateLimitGroup('admin')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Resume a paused queue' })
  @ApiOkResponse({ type: QueueStatusView })
  @QueueNameParam()
  @ApiErrors(NO_SUCH_QUEUE)
  resume(@Param('name', ParseQueueNamePipe) name: QueueName): Promise<QueueStatusView> {
    return this.queues.resume(name);
  }

  @Post(':name/clear')
  @Audited('queue.clear', { target: 'params.name', details: ({ response }) => ({ removed: numberOf(fieldOf(response, 'removed')) }) })
  @Roles('admin')
  @RateLimitGroup('admin')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Remove waiting and delayed jobs (records marked cancelled); running jobs are kept' })
  @ApiOkResponse({ type: ClearQueueResult })
  @QueueNameParam()
  @ApiErrors(NO_SUCH_QUEUE)
  clear(@Param('name', ParseQueueNamePipe) name: QueueName): Promise<ClearQueueResult> {
    return this.queues.clear(name);
  }
}
