import { MailerService } from '@nestjs-modules/mailer';
import { providerKeyFor } from '../job-definitions/provider-key';
import { SmtpEmailGateway } from './smtp-email.gateway';

/** The real mailer on nodemailer's JSON transport (no network): what the gateway hands over, as nodemailer received it. */
function gatewayOnJsonTransport() {
  // Without a factory of its own the mailer makes nodemailer's transport from the options.
  const mailer = new MailerService({ transport: { jsonTransport: true } }, undefined as never);
  return { mailer };
}

describe('SmtpEmailGateway', () => {
  it('puts a subject with line breaks on one line, so that no header can be added through it (a second line behind the payload check)', async () => {
    const { mailer } = gatewayOnJsonTransport();
    const sent: { subject?: string; to?: unknown }[] = [];
    const sendMail = mailer.sendMail.bind(mailer);
    mailer.sendMail = async (message) => {
      const info = await sendMail(message);
      sent.push(JSON.parse((info as unknown as { message: string }).message));
      return info;
    };
    const gateway = new SmtpEmailGateway(mailer, 'json-transport', 'Tickets <tickets@venue.example>');
    await gateway.send({ to: 'fan@example.com', subject: 'Hello\r\nBcc: victim@elsewhere.example\nX-Evil: 1', html: '<p>Hi</p>', text: 'Hi' }, providerKeyFor({ tenantId: '00000000-0000-4000-8000-000000000001', jobId: '00000000-0000-4000-8000-000000000002' }, 'email_sent'));
    expect(sent).toHaveLength(1);
    expect(sent[0].subject).toBe('Hello Bcc: victim@elsewhere.example X-Evil: 1');
    expect(JSON.stringify(sent[0])).not.toMatch(/\\r|\\n(?!")/);
  });
});
