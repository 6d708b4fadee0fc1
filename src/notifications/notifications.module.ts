import { Module } from '@nestjs/common';
import { EmailHandler } from './email.handler';
import { EmailGateway, SmsGateway } from './notification.gateways';
import { SandboxEmailGateway, SandboxSmsGateway } from './sandbox-notification.gateways';
import { SmsHandler } from './sms.handler';

@Module({
  providers: [
    { provide: EmailGateway, useClass: SandboxEmailGateway },
    { provide: SmsGateway, useClass: SandboxSmsGateway },
    EmailHandler,
    SmsHandler,
  ],
})
export class NotificationsModule {}
