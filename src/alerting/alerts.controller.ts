import { ConflictException, Controller, Get, HttpCode, HttpStatus, NotFoundException, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthUser, isAdmin } from '../common/auth/auth-user';
import { CurrentUser, Roles } from '../common/auth/decorators';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { parseIsoTimestamp } from '../common/validation/iso-timestamp';
import { AlertReader, AlertRecords } from '../monitoring/alert-records';
import { AlertTest } from './alert-test';
import { alertViewOf } from './alert-view.mapper';
import { AlertListQuery, AlertPage, AlertTestResult, AlertView } from './dto/alert-views.dto';
import { Audited } from '../audit/audited.decorator';

/** An operator (admin) reads every alert, service-wide ones too; a venue admin its tenant's. */
function readerOf(user: AuthUser): AlertReader {
  return isAdmin(user) ? 'all' : { tenantId: user.tenantId };
}

@ApiTags('alerts')
@ApiBearerAuth()
@Roles('admin', 'venue_admin')
@Controller('alerts')
export class AlertsController {
  constructor(
    private readonly records: AlertRecords,
    private readonly alertTest: AlertTest,
  ) {}

  @Get()
  @ApiOperation({ summary: 'A page of alerts, newest first: the tenant’s, or (admin) every one, service-wide ones too' })
  @ApiOkResponse({ type: AlertPage })
  @ApiErrors([400, 'Details name each bad query parameter'])
  async list(@CurrentUser() user: AuthUser, @Query() query: AlertListQuery): Promise<AlertPage> {
    const { items, total } = await this.records.list(readerOf(user), {
      severity: query.severity,
      acknowledged: query.acknowledged,
      from: parseIsoTimestamp(query.from),
      to: parseIsoTimestamp(query.to),
      limit: query.limit,
      offset: query.offset,
    });
    return { items: items.map(alertViewOf), total, limit: query.limit, offset: query.offset };
  }

  @Post('test')
  @Audited('alert.test', { target: 'response.alert.id' })
  @Roles('admin')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Send a test alert through every configured channel and say which delivered',
    description: 'The deliveries are the same jobs as a real alert’s; the answer waits up to 15 s for their outcomes.',
  })
  @ApiOkResponse({ type: AlertTestResult })
  @ApiErrors(403)
  test(@CurrentUser() user: AuthUser): Promise<AlertTestResult> {
    return this.alertTest.send(user);
  }

  @Post(':id/acknowledge')
  @Audited('alert.acknowledge', { target: 'params.id' })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Acknowledge an alert: records who and when, once' })
  @ApiOkResponse({ type: AlertView })
  @ApiErrors([404, 'No such alert for this caller'], [409, 'The alert was already acknowledged'])
  async acknowledge(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<AlertView> {
    const result = await this.records.acknowledge(readerOf(user), id, `${user.tenantId}:${user.userId}`);
    if (result.outcome === 'missing') throw new NotFoundException('No such alert');
    if (result.outcome === 'already') {
      throw new ConflictException(`The alert was already acknowledged at ${result.alert.acknowledgedAt!.toISOString()}`);
    }
    return alertViewOf(result.alert);
  }
}
