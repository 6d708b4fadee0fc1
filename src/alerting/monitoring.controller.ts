import { Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user';
import { CurrentUser, Roles } from '../common/auth/decorators';
import { RateLimitGroup } from '../common/rate-limit/rate-limit-group.decorator';
import { AppConfig } from '../config/app-config';
import { MonitoringCheck } from './monitoring-check';
import { MonitoringConditions } from './monitoring-conditions';
import { MonitoringSwitch } from './monitoring-switch';
import { MonitoringCheckView, MonitoringStatusView } from './dto/monitoring-views.dto';
import { Audited } from '../audit/audited.decorator';

const PAYER_NOT_CHECKED = 'solana_payer_balance: Solana is not live (sandbox or disabled)';

@ApiTags('monitoring')
@ApiBearerAuth()
@Roles('admin')
@RateLimitGroup('admin')
@Controller('monitoring')
export class MonitoringController {
  constructor(
    private readonly config: AppConfig,
    private readonly monitoringSwitch: MonitoringSwitch,
    private readonly check: MonitoringCheck,
    private readonly conditions: MonitoringConditions,
  ) {}

  @Get('status')
  @ApiOperation({ summary: 'Whether monitoring runs, the thresholds and the last check' })
  @ApiOkResponse({ type: MonitoringStatusView })
  status(): Promise<MonitoringStatusView> {
    return this.statusView();
  }

  @Post('start')
  @Audited('monitoring.start')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Start monitoring: the scheduled checks run again (every process agrees: the flag is in Redis)' })
  @ApiOkResponse({ type: MonitoringStatusView })
  async start(): Promise<MonitoringStatusView> {
    await this.monitoringSwitch.start();
    return this.statusView();
  }

  @Post('stop')
  @Audited('monitoring.stop')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Stop monitoring: scheduled checks do nothing until it is started; open alerts stay open' })
  @ApiOkResponse({ type: MonitoringStatusView })
  async stop(@CurrentUser() user: AuthUser): Promise<MonitoringStatusView> {
    await this.monitoringSwitch.stop(`${user.tenantId}:${user.userId}`);
    return this.statusView();
  }

  @Post('check')
  @Audited('monitoring.check')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Run one check now, whether or not monitoring is stopped, and answer what it changed' })
  @ApiOkResponse({ type: MonitoringCheckView })
  runCheck(): Promise<MonitoringCheckView> {
    return this.check.run();
  }

  private async statusView(): Promise<MonitoringStatusView> {
    const [stopped, lastCheck] = await Promise.all([this.monitoringSwitch.stopped(), this.monitoringSwitch.lastCheck()]);
    const m = this.config.monitoring;
    return {
      running: stopped === null,
      stoppedBy: stopped?.stoppedBy ?? null,
      stoppedAt: stopped?.stoppedAt ?? null,
      intervalMs: m.intervalMs,
      lastCheck,
      thresholds: {
        queueDepthMax: m.queueDepthMax, failureRateMax: m.failureRateMax, failureWindowMinutes: m.failureWindowMinutes,
        failureMinJobs: m.failureMinJobs, oldestWaitingMaxSeconds: m.oldestWaitingMaxSeconds, dlqGrowthMax: m.dlqGrowthMax,
        stalledMax: m.stalledMax, emergencyStopMaxMinutes: m.emergencyStopMaxMinutes, cooldownSeconds: m.cooldownSeconds,
      },
      notChecked: this.conditions.checksPayerBalance ? [] : [PAYER_NOT_CHECKED],
    };
  }
}
