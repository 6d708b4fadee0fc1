import { Module } from '@nestjs/common';
import { EmailHandler } from './email.handler';
import { EmailGateway } from './notification.gateways';
import { mailerModule, NOTIFICATION_GATEWAYS } from './notification-gateway.providers';
import { SmsHandler } from './sms.handler';

@Module({
  imports: [mailerModule],
  providers: [
    ...NOTIFICATION_GATEWAYS,
    EmailHandler,
    SmsHandler,
  ],
  // For the health probes: EmailGateway.testConnection().
  exports: [EmailGateway],
})
export class NotificationsModule {}
