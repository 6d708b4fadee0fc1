import { Module } from '@nestjs/common';
import { PaymentGateway } from './payment.gateway';
import { PaymentHandler } from './payment.handler';
import { RefundHandler } from './refund.handler';
import { SandboxPaymentGateway } from './sandbox-payment.gateway';

@Module({
  providers: [{ provide: PaymentGateway, useClass: SandboxPaymentGateway }, PaymentHandler, RefundHandler],
})
export class PaymentsModule {}
