import { Module } from '@nestjs/common';
import { EmailHandler } from './email.handler';
import { EmailGateway, SmsGateway } from './notification.gateways';
import { SandboxEmailGateway, SandboxSmsGateway } from './sandbox-notification.gateways';
import { SmsHandler } from './sms.handler';
import { WebhookGateway } from './webhook.gateway';
import { WebhookHandler } from './webhook.handler';

@Module({
  providers: [
    { provide: EmailGateway, useClass: SandboxEmailGateway },
    { provide: SmsGateway, useClass: SandboxSmsGateway },
    EmailHandler,
    SmsHandler,
    WebhookGateway,
    WebhookHandler,
  ],
})
export class NotificationsModule {}
