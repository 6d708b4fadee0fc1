import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { PaymentsModule } from '../payments/payments.module';
import { PersistenceModule } from '../persistence/persistence.module';
import { StripeWebhookIntake } from './stripe-webhook-intake';
import { StripeWebhooksController } from './stripe-webhooks.controller';

/** Inbound Stripe events: the route and its intake (the reconciliation job lives in payments/). */
@Module({
  imports: [PaymentsModule, JobsModule, PersistenceModule],
  controllers: [StripeWebhooksController],
  providers: [StripeWebhookIntake],
})
export class StripeWebhooksModule {}
