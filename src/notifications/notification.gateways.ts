export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
}

/** SMTP (or an e-mail API), as the handlers see it. */
export abstract class EmailGateway {
  abstract send(email: OutgoingEmail, idempotencyKey: string): Promise<{ messageId: string }>;
}

/** An SMS provider (Twilio), as the handlers see it. */
export abstract class SmsGateway {
  abstract send(to: string, body: string, idempotencyKey: string): Promise<{ messageSid: string }>;
}
