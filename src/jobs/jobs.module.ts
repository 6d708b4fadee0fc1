import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PersistenceModule } from '../persistence/persistence.module';
import { QueuesModule } from '../queues/queues.module';
import { CancellationFlags } from './cancellation-flags';
import { JobHandlerRegistry } from './job-handler-registry';
import { JobRunner } from './job-runner';
import { JobWorkers } from './job-workers';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';

@Module({
  imports: [DiscoveryModule, PersistenceModule, QueuesModule],
  controllers: [JobsController],
  providers: [JobsService, JobRunner, JobHandlerRegistry, JobWorkers, CancellationFlags],
  exports: [JobsService],
})
export class JobsModule {}
