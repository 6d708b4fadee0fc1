import { Controller, Get, HttpStatus, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../../common/auth/decorators';
import { DependencyHealthView, LivenessView, ProvidersHealthView, ReadinessView, StartupView } from '../dto/health-views.dto';
import { DependencyChecks } from './dependency-checks';
import { CHECKED_PROVIDERS, ProviderProbes } from './provider-probes';
import { StartupState } from './startup-state';

/** Kubernetes-style probes; open, unthrottled, and each bounded by HEALTH_CHECK_TIMEOUT_MS. */
@ApiTags('health')
@ApiExtraModels(DependencyHealthView)
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dependencies: DependencyChecks,
    private readonly providers: ProviderProbes,
    private readonly startup: StartupState,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process answers (liveness)' })
  @ApiOkResponse({ type: LivenessView })
  live(): LivenessView {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Redis and PostgreSQL answer (readiness); providers are reported: live, sandbox or disabled' })
  @ApiOkResponse({ type: ReadinessView })
  @ApiResponse({ status: HttpStatus.SERVICE_UNAVAILABLE, type: ReadinessView, description: 'Redis or PostgreSQL is down' })
  async ready(@Res({ passthrough: true }) response: Response): Promise<ReadinessView> {
    const [required, providers] = await Promise.all([this.requiredDependencies(), this.providerHealth()]);
    if (required.status !== 'ok') response.status(HttpStatus.SERVICE_UNAVAILABLE);
    return {
      status: required.status === 'ok' ? 'ok' : 'error',
      info: (required.info ?? {}) as ReadinessView['info'],
      error: (required.error ?? {}) as ReadinessView['error'],
      details: required.details as ReadinessView['details'],
      providers,
    };
  }

  @Get('startup')
  @ApiOperation({ summary: 'Migrations applied, queues connected, start-up recovery finished (startup probe)' })
  @ApiOkResponse({ type: StartupView })
  @ApiResponse({ status: HttpStatus.SERVICE_UNAVAILABLE, type: StartupView, description: 'A start-up step is still pending' })
  async started(@Res({ passthrough: true }) response: Response): Promise<StartupView> {
    const steps = await this.startup.report();
    const ok = Object.values(steps).every((step) => step !== 'pending');
    if (!ok) response.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ok ? 'ok' : 'error', ...steps };
  }

  /** Terminus answers a down dependency by throwing its result; here it is the body of a 503. */
  private async requiredDependencies(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.dependencies.redisCheck(), () => this.dependencies.postgresCheck()]);
    } catch (error) {
      if (error instanceof ServiceUnavailableException) return error.getResponse() as HealthCheckResult;
      throw error;
    }
  }

  private async providerHealth(): Promise<ProvidersHealthView> {
    const results = await Promise.all(CHECKED_PROVIDERS.map(async (provider) => [provider, await this.providers.check(provider)] as const));
    return Object.fromEntries(results) as unknown as ProvidersHealthView;
  }
}
