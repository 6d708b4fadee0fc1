import { Module } from '@nestjs/common';
import { AlertingModule } from '../alerting/alerting.module';
import { DeadLetterStoreModule } from '../dead-letters/dead-letter-store.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { QueueMetricsModule } from '../monitoring/queue-metrics.module';
import { PersistenceModule } from '../persistence/persistence.module';
import { QueueStoreModule } from '../queue-store/queue-store.module';
import { AnalyticsHandler } from './analytics.handler';
import { CleanupHandler } from './cleanup.handler';
import { ScheduledTaskHandler } from './scheduled-task.handler';

@Module({
  imports: [AlertingModule, QueueStoreModule, PersistenceModule, IdempotencyModule, DeadLetterStoreModule, QueueMetricsModule],
  providers: [AnalyticsHandler, CleanupHandler, ScheduledTaskHandler],
})
export class BackgroundModule {}
