import { Module } from '@nestjs/common';
import { QueueStoreModule } from '../queue-store/queue-store.module';
import { AnalyticsHandler } from './analytics.handler';
import { CleanupHandler } from './cleanup.handler';
import { ScheduledTaskHandler } from './scheduled-task.handler';

@Module({
  imports: [QueueStoreModule],
  providers: [AnalyticsHandler, CleanupHandler, ScheduledTaskHandler],
})
export class BackgroundModule {}
