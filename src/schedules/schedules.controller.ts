import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user';
import { CurrentUser, Roles } from '../common/auth/decorators';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { CreateScheduleRequest, SchedulesQuery, UpdateScheduleRequest } from './dto/schedule-requests.dto';
import { SchedulePage, ScheduleView } from './dto/schedule-views.dto';
import { SchedulesService } from './schedules.service';
import { Audited } from '../audit/audited.decorator';

const NO_SUCH_SCHEDULE: [404, string] = [404, 'No such schedule for this tenant'];
const NOT_A_UUID: [400, string] = [400, 'The id is not a UUID'];
const ROLE_REFUSED: [403, string] = [
  403,
  'Not an admin or venue admin; or a job the role may not submit (as in POST /jobs: a scheduled-task is for admin only, cleanup of target all too); details name jobType or jobData.target and the roles',
];
const NAME_TAKEN: [409, string] = [409, 'The tenant already has a schedule of that name'];

@ApiTags('schedules')
@ApiBearerAuth()
@Roles('admin', 'venue_admin')
@Controller('schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @Post()
  @Audited('schedule.create', { target: 'response.id' })
  @ApiOperation({ summary: 'Add a cron schedule of a job; it fires once per tick across all processes' })
  @ApiCreatedResponse({ type: ScheduleView })
  @ApiErrors([400, 'Invalid body (details name each bad field: cron, timezone, jobType, jobData.*)'], ROLE_REFUSED, NAME_TAKEN)
  create(@CurrentUser() user: AuthUser, @Body() body: CreateScheduleRequest): Promise<ScheduleView> {
    return this.schedules.create(user.tenantId, body, user.roles);
  }

  @Get()
  @ApiOperation({ summary: "A page of the tenant's schedules, oldest first, with last run, last outcome and next run" })
  @ApiOkResponse({ type: SchedulePage })
  @ApiErrors([400, 'Invalid query parameter'])
  list(@CurrentUser() user: AuthUser, @Query() query: SchedulesQuery): Promise<SchedulePage> {
    return this.schedules.page(user.tenantId, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One schedule' })
  @ApiOkResponse({ type: ScheduleView })
  @ApiErrors(NOT_A_UUID, NO_SUCH_SCHEDULE)
  get(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<ScheduleView> {
    return this.schedules.get(user.tenantId, id);
  }

  @Patch(':id')
  @Audited('schedule.update', { target: 'params.id' })
  @ApiOperation({ summary: "Change a schedule's cron, zone, job, missed-tick policy, or enable or disable it" })
  @ApiOkResponse({ type: ScheduleView })
  @ApiErrors([400, 'Invalid id or body (details name each bad field)'], ROLE_REFUSED, NO_SUCH_SCHEDULE, NAME_TAKEN)
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateScheduleRequest,
  ): Promise<ScheduleView> {
    return this.schedules.update(user.tenantId, id, body, user.roles);
  }

  @Delete(':id')
  @Audited('schedule.delete', { target: 'params.id' })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Remove a schedule and its Bull repeatable; jobs it already submitted are left alone' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors(NOT_A_UUID, NO_SUCH_SCHEDULE)
  delete(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.schedules.delete(user.tenantId, id);
  }
}
