import { MailerModule, MailerOptions, MailerService } from '@nestjs-modules/mailer';
import type { DynamicModule, Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DisabledEmailGateway, DisabledSmsGateway } from './disabled-notification.gateways';
import { EmailGateway, SmsGateway } from './notification.gateways';
import { SandboxEmailGateway, SandboxSmsGateway } from './sandbox-notification.gateways';
import { SmtpEmailGateway } from './smtp-email.gateway';
import { TwilioSmsGateway } from './twilio-sms.gateway';

/** Bounded so a silent server costs one attempt, not minutes (nodemailer waits up to 10 minutes). */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

function mailerOptions(config: AppConfig): MailerOptions {
  const { SMTP_URL } = config.providers.env;
  if (config.providers.modes.email !== 'live' || !SMTP_URL) {
    // MailerService insists on a transport even where no gateway uses it (sandbox, disabled).
    return { transport: { jsonTransport: true } };
  }
  return { transport: { url: SMTP_URL, ...SMTP_TIMEOUTS } };
}

/** The mailer module, configured from AppConfig (SMTP_URL; the gateway sets MAIL_FROM on each message). */
export const mailerModule: DynamicModule = MailerModule.forRootAsync({ inject: [AppConfig], useFactory: mailerOptions });

/** host:port of an smtp:// URL, for the start-up log: never its user or password. */
function serverNameOf(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  return `${url.protocol}//${url.hostname}${url.port ? `:${url.port}` : ''}`;
}

/** Each gateway chosen by its provider's mode: live with credentials, the sandbox without, or disabled. */
export const NOTIFICATION_GATEWAYS: Provider[] = [
  {
    provide: EmailGateway,
    inject: [AppConfig, MailerService],
    useFactory: (config: AppConfig, mailer: MailerService): EmailGateway => {
      const { SMTP_URL, MAIL_FROM } = config.providers.env;
      switch (config.providers.modes.email) {
        case 'live':
          return new SmtpEmailGateway(mailer, serverNameOf(SMTP_URL!), MAIL_FROM!);
        case 'disabled':
          return new DisabledEmailGateway();
        default:
          return new SandboxEmailGateway();
      }
    },
  },
  {
    provide: SmsGateway,
    inject: [AppConfig],
    useFactory: (config: AppConfig): SmsGateway => {
      const { TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM, TWILIO_API_BASE_URL } = config.providers.env;
      switch (config.providers.modes.sms) {
        case 'live':
          return new TwilioSmsGateway({ accountSid: TWILIO_ACCOUNT_SID!, authToken: TWILIO_AUTH_TOKEN!, from: TWILIO_FROM!, baseUrl: TWILIO_API_BASE_URL });
        case 'disabled':
          return new DisabledSmsGateway();
        default:
          return new SandboxSmsGateway();
      }
    },
  },
];
