import { Controller, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Audited } from '../audit/audited.decorator';
import type { AuthUser } from '../common/auth/auth-user';
import { CurrentUser, Roles } from '../common/auth/decorators';
import { RateLimitGroup } from '../common/rate-limit/rate-limit-group.decorator';
import { AppConfig } from '../config/app-config';
import { DASHBOARD_COOKIE, DASHBOARD_PATH, DashboardSessions } from './dashboard-sessions';
import { DashboardSessionView } from './dto/dashboard-session.dto';

@ApiTags('dashboard')
@ApiBearerAuth()
@Controller(DASHBOARD_PATH)
export class DashboardSessionController {
  constructor(
    private readonly sessions: DashboardSessions,
    private readonly config: AppConfig,
  ) {}

  @Post('session')
  @Audited('dashboard.session-open')
  @Roles('admin')
  @RateLimitGroup('admin')
  @ApiOperation({
    summary: 'Open the queue dashboard in a browser',
    description:
      `Sets a signed, HttpOnly, SameSite=Strict cookie (path ${DASHBOARD_PATH}) that lets this browser open ` +
      `${DASHBOARD_PATH} for DASHBOARD_SESSION_TTL_SECONDS. Jobs retried or removed there follow the rules of ` +
      'POST /jobs/:id/retry and DELETE /jobs/:id for the caller’s tenant.',
  })
  @ApiCreatedResponse({
    type: DashboardSessionView,
    headers: { 'Set-Cookie': { description: `${DASHBOARD_COOKIE}=…; Path=${DASHBOARD_PATH}; HttpOnly; SameSite=Strict`, schema: { type: 'string' } } },
  })
  open(@CurrentUser() user: AuthUser, @Res({ passthrough: true }) response: Response): DashboardSessionView {
    const session = this.sessions.open(user);
    response.cookie(DASHBOARD_COOKIE, session.value, {
      httpOnly: true,
      sameSite: 'strict',
      path: DASHBOARD_PATH,
      secure: this.config.publicUrl.startsWith('https:'),
      maxAge: this.sessions.lifetimeSeconds * 1000,
    });
    return { dashboardPath: DASHBOARD_PATH, expiresAt: session.expiresAt.toISOString() };
  }
}
