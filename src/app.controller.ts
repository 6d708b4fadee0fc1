import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Public } from './common/auth/decorators';
import { AppConfig } from './config/app-config';
import { QUEUE_NAMES } from './job-definitions/queue-names';
import { JOB_TYPE_NAMES } from './job-definitions/job-types';
import { SERVICE_VERSION } from './common/service-version';

export class ServiceInfo {
  @ApiProperty({ example: 'queue-service' }) name: string;
  @ApiProperty({ example: '0.4.0' }) version: string;
  @ApiProperty({ enum: ['all', 'api', 'worker'] }) role: string;
  @ApiProperty({ type: [String] }) queues: string[];
  @ApiProperty({ type: [String] }) jobTypes: string[];
  @ApiProperty({ example: '/docs' }) docs: string;
}

@ApiTags('service')
@Controller()
export class AppController {
  constructor(private readonly config: AppConfig) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'What this service is and where its documentation lives' })
  @ApiOkResponse({ type: ServiceInfo })
  info(): ServiceInfo {
    return {
      name: 'queue-service',
      version: SERVICE_VERSION,
      role: this.config.appRole,
      queues: [...QUEUE_NAMES],
      jobTypes: [...JOB_TYPE_NAMES],
      docs: '/docs',
    };
  }
}
