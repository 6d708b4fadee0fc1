export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
}

/** SMTP (or an e-mail API), as the handlers see it. */
export abstract class EmailGateway {
  /**
   * `idempotencyKey` is stable across re-runs of one job's send: the live gateway derives the
   * Message-ID from it, so a repeat is recognisable as the same message.
   */
  abstract send(email: OutgoingEmail, idempotencyKey: string): Promise<{ messageId: string }>;
  /** Resolves when the mail server accepts a connection (and the credentials); for health probes. */
  abstract testConnection(): Promise<void>;
}

/** An SMS provider (Twilio), as the handlers see it. */
export abstract class SmsGateway {
  abstract send(to: string, body: string, idempotencyKey: string): Promise<{ messageSid: string }>;
}
