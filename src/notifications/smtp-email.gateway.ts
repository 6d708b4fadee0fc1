import { MailerService } from '@nestjs-modules/mailer';
import { Logger, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { JobError, PermanentJobError, TransientJobError } from '../job-definitions/job-errors';
import { singleLine } from './email-templates';
import { EmailGateway, OutgoingEmail } from './notification.gateways';
import type { ProviderKey } from '../job-definitions/provider-key';

/** What nodemailer puts on its errors (its own codes, and the SMTP reply when there was one). */
interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

const UNREACHABLE_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'ECONNREFUSED', 'ECONNRESET', 'EPROTOCOL']);

/**
 * How a failed send should be treated. A 5xx reply (other than 503, which is a session in the
 * wrong state) says the server will refuse this message again; 4xx, a refused or dropped
 * connection and timeouts are worth another attempt. Messages never quote the SMTP URL.
 */
export function smtpError(error: unknown): JobError {
  const { code, responseCode, response } = (error ?? {}) as SmtpFailure;
  const reply = typeof response === 'string' ? `: ${response.split(/\r?\n/)[0].slice(0, 200)}` : '';
  if (typeof responseCode === 'number') {
    if (responseCode >= 500 && responseCode < 600 && responseCode !== 503) {
      const kind = code === 'EAUTH' ? 'smtp_auth_failed' : 'smtp_rejected';
      return new PermanentJobError(kind, `The SMTP server refused the message (${responseCode})${reply}`);
    }
    return new TransientJobError('smtp_unavailable', `The SMTP server deferred the message (${responseCode})${reply}`);
  }
  if (code === 'EAUTH' || code === 'ENOAUTH') return new PermanentJobError('smtp_auth_failed', 'The SMTP server refused the credentials');
  if (code === 'EENVELOPE') return new PermanentJobError('smtp_rejected', 'The SMTP server refused the envelope (sender or recipient)');
  if (code && UNREACHABLE_CODES.has(code)) return new TransientJobError('smtp_unreachable', `The SMTP server could not be reached (${code})`);
  return new TransientJobError('smtp_error', `Sending over SMTP failed${code ? ` (${code})` : ''}`);
}

/** The domain of MAIL_FROM (`"Venue" <no-reply@venue.example>` → `venue.example`), for Message-IDs. */
export function senderDomain(mailFrom: string): string {
  return /@([A-Za-z0-9.-]+)/.exec(mailFrom)?.[1]?.toLowerCase() ?? 'queue-service.invalid';
}

/**
 * A Message-ID that is the same on every re-run of one job's send: receivers (and anyone reading
 * the server's logs) can tell a repeat from a second message. Hashed, so no client key shows.
 */
export function stableMessageId(idempotencyKey: ProviderKey, domain: string): string {
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}@${domain}>`;
}

/** E-mail over SMTP through @nestjs-modules/mailer (nodemailer); SendGrid is `smtp.sendgrid.net`. */
export class SmtpEmailGateway extends EmailGateway implements OnModuleInit {
  private readonly logger = new Logger('EmailGateway');
  private readonly domain: string;

  constructor(
    private readonly mailer: MailerService,
    /** host:port only: the URL's user and password never reach a log line. */
    private readonly serverName: string,
    private readonly mailFrom: string,
  ) {
    super();
    this.domain = senderDomain(mailFrom);
  }

  onModuleInit(): void {
    this.logger.log(`E-mail is live: SMTP via ${this.serverName}`);
  }

  async send(email: OutgoingEmail, idempotencyKey: ProviderKey): Promise<{ messageId: string }> {
    const messageId = stableMessageId(idempotencyKey, this.domain);
    try {
      const info = (await this.mailer.sendMail({
        from: this.mailFrom,
        // A second line against header injection (the payload refuses CR/LF, templates flatten it).
        to: email.to.replace(/[\r\n]+/g, ''),
        subject: singleLine(email.subject),
        html: email.html,
        text: email.text,
        messageId,
        headers: { 'X-Idempotency-Key': messageId.slice(1, messageId.indexOf('@')) },
      })) as { messageId?: string };
      return { messageId: info.messageId ?? messageId };
    } catch (error) {
      throw smtpError(error);
    }
  }

  async testConnection(): Promise<void> {
    try {
      await this.mailer.getTransporter().verify();
    } catch (error) {
      throw smtpError(error);
    }
  }
}
