import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AlertsModule } from '../monitoring/alerts.module';
import { PersistenceModule } from '../persistence/persistence.module';
import { PaymentGateway } from './payment.gateway';
import { PaymentHandler } from './payment.handler';
import { RefundHandler } from './refund.handler';
import { SandboxPaymentGateway } from './sandbox-payment.gateway';
import { StripeEventRecord } from './stripe-event.entity';
import { StripeEventHandler } from './stripe-event.handler';
import { StripeEvents } from './stripe-events';
import { StripeWebhookVerifier } from './stripe-webhook-verifier';

@Module({
  imports: [TypeOrmModule.forFeature([StripeEventRecord]), PersistenceModule, AlertsModule],
  providers: [
    { provide: PaymentGateway, useClass: SandboxPaymentGateway },
    PaymentHandler,
    RefundHandler,
    StripeEventHandler,
    StripeEvents,
    StripeWebhookVerifier,
  ],
  exports: [StripeEvents, StripeWebhookVerifier],
})
export class PaymentsModule {}
