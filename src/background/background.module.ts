import { Module } from '@nestjs/common';
import { QueuesModule } from '../queues/queues.module';
import { AnalyticsHandler } from './analytics.handler';
import { CleanupHandler } from './cleanup.handler';
import { ScheduledTaskHandler } from './scheduled-task.handler';

@Module({
  imports: [QueuesModule],
  providers: [AnalyticsHandler, CleanupHandler, ScheduledTaskHandler],
})
export class BackgroundModule {}
