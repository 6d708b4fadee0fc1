import { parseIsoTimestamp } from '../common/validation/iso-timestamp';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthUser, isAdmin } from '../common/auth/auth-user';
import { CurrentUser, Roles } from '../common/auth/decorators';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import type { AuditEntry } from './audit-entry';
import { AuditLog } from './audit-log.repository';
import { AuditEntryView, AuditListQuery, AuditPage } from './dto/audit-views.dto';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly log: AuditLog) {}

  @Get()
  @Roles('admin', 'venue_admin')
  @ApiOperation({
    summary: 'A page of the audit trail, newest first: a platform operator (admin) reads every tenant, a venue admin its own',
    description: 'One entry per operator action and per personal-data read, with its outcome. The trail cannot be changed or deleted.',
  })
  @ApiOkResponse({ type: AuditPage })
  @ApiErrors([400, 'Details name each bad query parameter'])
  async list(@CurrentUser() user: AuthUser, @Query() query: AuditListQuery): Promise<AuditPage> {
    const { items, total } = await this.log.list(isAdmin(user) ? 'all' : { tenantId: user.tenantId }, {
      actor: query.actor,
      action: query.action,
      target: query.target,
      from: parseIsoTimestamp(query.from),
      to: parseIsoTimestamp(query.to),
      limit: query.limit,
      offset: query.offset,
    });
    return { items: items.map(viewOf), total, limit: query.limit, offset: query.offset };
  }
}

function viewOf(entry: AuditEntry): AuditEntryView {
  return { ...entry, occurredAt: entry.occurredAt.toISOString() };
}
