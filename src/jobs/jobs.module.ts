import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DeadLetterStoreModule } from '../dead-letters/dead-letter-store.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { PersistenceModule } from '../persistence/persistence.module';
import { QueueStoreModule } from '../queue-store/queue-store.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { CancellationFlags } from './cancellation-flags';
import { RequeueClaims } from './requeue-claims';
import { JobEnqueuer } from './job-enqueuer';
import { JobHandlerRegistry } from './job-handler-registry';
import { JobRecovery } from './job-recovery';
import { JobRunner } from './job-runner';
import { JobWorkers } from './job-workers';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';
import { RefundAdmission } from './refund-admission';
import { LeaseKeeper } from './lease-keeper';
import { ProviderGuard } from './provider-guard';
import { FollowUps } from './follow-ups';
import { OutboxRelay } from './outbox-relay';
import { ScheduleTicks } from './schedule-ticks';
import { SystemSubmissions } from './system-submissions';
import { TenantQuotaKeeper } from './tenant-quota-keeper';
import { TenantQuotas } from './tenant-quotas';

@Module({
  imports: [DiscoveryModule, PersistenceModule, QueueStoreModule, IdempotencyModule, DeadLetterStoreModule, RateLimitModule],
  controllers: [JobsController],
  providers: [
    JobsService,
    RefundAdmission,
    JobEnqueuer,
    JobRunner,
    JobHandlerRegistry,
    JobWorkers,
    JobRecovery,
    CancellationFlags,
    RequeueClaims,
    LeaseKeeper,
    ProviderGuard,
    FollowUps,
    OutboxRelay,
    SystemSubmissions,
    ScheduleTicks,
    TenantQuotas,
    TenantQuotaKeeper,
  ],
  exports: [JobsService, SystemSubmissions, JobRecovery, JobEnqueuer, FollowUps, OutboxRelay],
})
export class JobsModule {}
