import { Module } from '@nestjs/common';
import { DeadLetterStoreModule } from '../dead-letters/dead-letter-store.module';
import { JobsModule } from '../jobs/jobs.module';
import { AlertsModule } from '../monitoring/alerts.module';
import { PersistenceModule } from '../persistence/persistence.module';
import { QueueStoreModule } from '../queue-store/queue-store.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { AlertDeliveries } from './alert-deliveries';
import { AlertTest } from './alert-test';
import { AlertsController } from './alerts.controller';
import { MonitoringCheck } from './monitoring-check';
import { MonitoringConditions } from './monitoring-conditions';
import { MonitoringController } from './monitoring.controller';
import { MonitoringSchedule } from './monitoring-schedule';
import { MonitoringSwitch } from './monitoring-switch';

@Module({
  imports: [JobsModule, AlertsModule, QueueStoreModule, DeadLetterStoreModule, RateLimitModule, PersistenceModule],
  controllers: [AlertsController, MonitoringController],
  providers: [MonitoringConditions, MonitoringCheck, MonitoringSwitch, MonitoringSchedule, AlertDeliveries, AlertTest],
  exports: [MonitoringCheck],
})
export class AlertingModule {}
