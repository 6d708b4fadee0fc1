import { EmailGateway, OutgoingEmail } from '../../src/notifications/notification.gateways';

/** Stands for the mail provider at its edge: records every send call, so a second send shows. */
export class FakeEmail extends EmailGateway {
  readonly sent: (OutgoingEmail & { idempotencyKey: string })[] = [];

  async send(email: OutgoingEmail, idempotencyKey: string): Promise<{ messageId: string }> {
    this.sent.push({ ...email, idempotencyKey });
    return { messageId: `<fake-${this.sent.length}@example.test>` };
  }

  sentTo(address: string): number {
    return this.sent.filter((message) => message.to === address).length;
  }
}
