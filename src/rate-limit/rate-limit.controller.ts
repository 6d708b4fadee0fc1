import { Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user';
import { CurrentUser, Roles } from '../common/auth/decorators';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { RateLimitGroup } from '../common/rate-limit/rate-limit-group.decorator';
import { EmergencyStopChangeView, ProviderRateLimitView } from './dto/rate-limit-views.dto';
import { EmergencyStop } from './emergency-stop';
import { ParseProviderNamePipe } from './provider-name.pipe';
import { PROVIDERS, type ProviderName } from '../job-definitions/provider-names';
import { RateLimitStatus } from './rate-limit-status';
import { Audited } from '../audit/audited.decorator';

/** Any other name is answered 404 by ParseProviderNamePipe. */
const ProviderParam = () => ApiParam({ name: 'key', enum: PROVIDERS, description: 'The provider' });
const NO_SUCH_PROVIDER: [404, string] = [404, 'No rate limiter of that name'];

@ApiTags('rate-limits')
@ApiBearerAuth()
@Roles('admin')
@RateLimitGroup('admin')
@Controller('rate-limits')
export class RateLimitController {
  constructor(
    private readonly status: RateLimitStatus,
    private readonly emergencyStop: EmergencyStop,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every provider: token bucket, circuit breaker, emergency stop' })
  @ApiOkResponse({ type: [ProviderRateLimitView] })
  list(): Promise<ProviderRateLimitView[]> {
    return this.status.all();
  }

  @Get('status/:key')
  @ApiOperation({ summary: "One provider's token bucket and circuit breaker, and the emergency stop flag" })
  @ApiOkResponse({ type: ProviderRateLimitView })
  @ProviderParam()
  @ApiErrors(NO_SUCH_PROVIDER)
  get(@Param('key', ParseProviderNamePipe) provider: ProviderName): Promise<ProviderRateLimitView> {
    return this.status.of(provider);
  }

  @Post('reset/:key')
  @Audited('rate-limit.reset', { target: 'params.key' })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: "Refill a provider's token bucket at once" })
  @ApiOkResponse({ type: ProviderRateLimitView })
  @ProviderParam()
  @ApiErrors(NO_SUCH_PROVIDER)
  reset(@Param('key', ParseProviderNamePipe) provider: ProviderName): Promise<ProviderRateLimitView> {
    return this.status.reset(provider);
  }

  @Post('emergency-stop')
  @Audited('emergency.stop')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Stop every worker process from taking jobs; running jobs finish, waiting jobs stay queued' })
  @ApiOkResponse({ type: EmergencyStopChangeView })
  stop(@CurrentUser() user: AuthUser): Promise<EmergencyStopChangeView> {
    return this.emergencyStop.stop(`${user.tenantId}:${user.userId}`);
  }

  @Post('resume')
  @Audited('emergency.resume')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Lift the emergency stop: every worker process takes jobs again' })
  @ApiOkResponse({ type: EmergencyStopChangeView })
  resume(): Promise<EmergencyStopChangeView> {
    return this.emergencyStop.resume();
  }
}
