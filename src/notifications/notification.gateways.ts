import type { ProviderKey } from '../job-definitions/provider-key';

export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
}

/** SMTP (or an e-mail API), as the handlers see it. */
export abstract class EmailGateway {
  /**
   * `idempotencyKey` (`JobContext.providerKey`: tenant, job and step) is stable across re-runs of
   * one job's send: the live gateway derives the Message-ID from it, so a repeat is recognisable
   * as the same message, and two tenants' messages never share one.
   */
  abstract send(email: OutgoingEmail, idempotencyKey: ProviderKey): Promise<{ messageId: string }>;
  /** Resolves when the mail server accepts a connection (and the credentials); for health probes. */
  abstract testConnection(): Promise<void>;
}

/** An SMS provider (Twilio), as the handlers see it. */
export abstract class SmsGateway {
  /** Twilio takes no idempotency key; only the sandbox derives its message SID from `idempotencyKey`. */
  abstract send(to: string, body: string, idempotencyKey: ProviderKey): Promise<{ messageSid: string }>;
}
