import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { PermanentJobError } from '../job-definitions/job-errors';
import { EmailGateway, SmsGateway } from './notification.gateways';

const disabled = (what: string, provider: string) =>
  new PermanentJobError('provider_disabled', `${what} is turned off in this deployment (${provider} is listed in PROVIDERS_DISABLED)`);

/** PROVIDERS_DISABLED names `email`: every send fails for good, nothing is attempted. */
@Injectable()
export class DisabledEmailGateway extends EmailGateway implements OnModuleInit {
  onModuleInit(): void {
    new Logger('EmailGateway').warn('E-mail is disabled (PROVIDERS_DISABLED): e-mail jobs fail as provider_disabled');
  }

  async send(): Promise<never> {
    throw disabled('E-mail', 'email');
  }

  async testConnection(): Promise<never> {
    throw disabled('E-mail', 'email');
  }
}

/** PROVIDERS_DISABLED names `sms`. */
@Injectable()
export class DisabledSmsGateway extends SmsGateway implements OnModuleInit {
  onModuleInit(): void {
    new Logger('SmsGateway').warn('SMS is disabled (PROVIDERS_DISABLED): SMS jobs fail as provider_disabled');
  }

  async send(): Promise<never> {
    throw disabled('SMS', 'sms');
  }
}
