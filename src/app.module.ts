import { Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { AppController } from './app.controller';
import { AlertingModule } from './alerting/alerting.module';
import { AuditModule } from './audit/audit.module';
import { BackgroundModule } from './background/background.module';
import { ServiceCacheModule } from './cache/cache.module';
import { AuthModule } from './common/auth/auth.module';
import { LoggingModule } from './common/logging/logging.module';
import { ConfigModule } from './config/config.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { DatabaseModule } from './database/database.module';
import { DlqModule } from './dlq/dlq.module';
import { JobsModule } from './jobs/jobs.module';
import { NftModule } from './nft/nft.module';
import { NotificationsModule } from './notifications/notifications.module';
import { ObservabilityModule } from './observability/observability.module';
import { PaymentsModule } from './payments/payments.module';
import { BullRootModule } from './queue-store/bull.config';
import { QueuesModule } from './queues/queues.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { SchedulesModule } from './schedules/schedules.module';
import { StripeWebhooksModule } from './stripe-webhooks/stripe-webhooks.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({
  imports: [
    ConfigModule,
    LoggingModule,
    DatabaseModule,
    ServiceCacheModule,
    BullRootModule,
    EventEmitterModule.forRoot(),
    ScheduleModule.forRoot(),
    // Before AuthModule: its global guard opens audit entries ahead of the guards that refuse.
    AuditModule,
    AuthModule,
    // Right after AuthModule: its global throttler guard must run after authentication.
    RateLimitModule,
    QueuesModule,
    JobsModule,
    PaymentsModule,
    NftModule,
    NotificationsModule,
    WebhooksModule,
    BackgroundModule,
    AlertingModule,
    DlqModule,
    StripeWebhooksModule,
    SchedulesModule,
    ObservabilityModule,
    DashboardModule,
  ],
  controllers: [AppController],
})
export class AppModule {}
