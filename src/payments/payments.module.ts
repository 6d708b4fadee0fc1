import { Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { AlertsModule } from '../monitoring/alerts.module';
import { PersistenceModule } from '../persistence/persistence.module';
import { DisabledPaymentGateway } from './disabled-payment.gateway';
import { PaymentGateway } from './payment.gateway';
import { PaymentHandler } from './payment.handler';
import { RefundHandler } from './refund.handler';
import { SandboxPaymentGateway } from './sandbox-payment.gateway';
import { StripeEventRecord } from './stripe-event.entity';
import { StripeEventHandler } from './stripe-event.handler';
import { StripeEvents } from './stripe-events';
import { StripeWebhookVerifier } from './stripe-webhook-verifier';
import { STRIPE_API_VERSION, StripePaymentGateway } from './stripe-payment.gateway';

/** The gateway of `config.providers.modes.stripe`; the start-up log says which (never a secret). */
export function paymentGatewayFor(config: AppConfig): PaymentGateway {
  const logger = new Logger('PaymentGateway');
  const env = config.providers.env;
  switch (config.providers.modes.stripe) {
    case 'live': {
      const base = env.STRIPE_API_BASE_URL ? ` at ${new URL(env.STRIPE_API_BASE_URL).origin}` : '';
      logger.log(`Payments run live on Stripe${base} (API version ${STRIPE_API_VERSION})`);
      return new StripePaymentGateway({
        STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY!,
        STRIPE_WEBHOOK_SECRET: env.STRIPE_WEBHOOK_SECRET!,
        STRIPE_API_BASE_URL: env.STRIPE_API_BASE_URL,
        STRIPE_TIMEOUT_MS: env.STRIPE_TIMEOUT_MS,
      });
    }
    case 'sandbox':
      logger.warn('Payments run in the sandbox: no charge reaches Stripe');
      return new SandboxPaymentGateway(env.STRIPE_WEBHOOK_SECRET);
    case 'disabled':
      logger.warn('Payments are disabled (PROVIDERS_DISABLED): payment and refund jobs fail as provider_disabled');
      return new DisabledPaymentGateway();
  }
}

@Module({
  imports: [TypeOrmModule.forFeature([StripeEventRecord]), PersistenceModule, AlertsModule],
  providers: [
    { provide: PaymentGateway, inject: [AppConfig], useFactory: paymentGatewayFor },
    PaymentHandler,
    RefundHandler,
    StripeEventHandler,
    StripeEvents,
    StripeWebhookVerifier,
  ],
  exports: [PaymentGateway, StripeEvents, StripeWebhookVerifier],
})
export class PaymentsModule {}
