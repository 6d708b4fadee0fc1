import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { sandboxId } from '../common/sandbox/sandbox-ids';
import { EmailGateway, OutgoingEmail, SmsGateway } from './notification.gateways';
import type { ProviderKey } from '../job-definitions/provider-key';

@Injectable()
export class SandboxEmailGateway extends EmailGateway implements OnModuleInit {
  private readonly logger = new Logger('EmailGateway');

  onModuleInit(): void {
    this.logger.warn('E-mail runs in the sandbox: no message leaves the service');
  }

  async send(_email: OutgoingEmail, idempotencyKey: ProviderKey): Promise<{ messageId: string }> {
    return { messageId: `<${sandboxId('', idempotencyKey)}@sandbox.queue-service>` };
  }

  async testConnection(): Promise<void> {
    // Nothing to reach: the sandbox is always there.
  }
}

@Injectable()
export class SandboxSmsGateway extends SmsGateway implements OnModuleInit {
  private readonly logger = new Logger('SmsGateway');

  onModuleInit(): void {
    this.logger.warn('SMS runs in the sandbox: no message leaves the service');
  }

  async send(_to: string, _body: string, idempotencyKey: ProviderKey): Promise<{ messageSid: string }> {
    return { messageSid: sandboxId('SM', idempotencyKey) };
  }
}
