import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export const TWILIO_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const TWILIO_TOKEN = 'fake-twilio-auth-token';
export const TWILIO_NUMBER = '+15005550006';

/** Numbers the fake answers with Twilio's permanent errors, as Twilio's magic test numbers do. */
export const TWILIO_ERROR_NUMBERS: Record<string, { status: number; code: number; message: string }> = {
  '+15005550001': { status: 400, code: 21211, message: "The 'To' number +15005550001 is not a valid phone number." },
  '+15005550004': { status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' },
  '+15005550009': { status: 400, code: 21614, message: "'To' number is not a valid mobile number" },
  // A carrier's answer passed on as it came: NUL characters, and far longer than any message should be.
  '+15005550010': { status: 400, code: 30008, message: `Unknown error from the carrier:\u0000${'\u0000x'.repeat(40_000)}` },
};

export interface SentSms {
  sid: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
}

/**
 * Twilio's Messages API on loopback, for the real SDK (TWILIO_API_BASE_URL): checks the basic
 * auth of the account, answers like Twilio (201 with a message resource, or its error body),
 * keeps every message it accepted, and fails on demand: `failNext(number, status)`.
 */
export class TwilioFake {
  readonly sent: SentSms[] = [];
  /** Every POST to the Messages API, accepted or not. */
  readonly requests: { to: string; status: number }[] = [];
  /** Every request as it arrived (headers and raw body): what a key sent to Twilio would show in. */
  readonly raw: { headers: IncomingHttpHeaders; body: string }[] = [];
  private readonly failures = new Map<string, number[]>();
  private server?: Server;

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next `times` messages to `number` are answered with `status` (e.g. 500, 429). */
  failNext(number: string, status: number, times = 1): void {
    this.failures.set(number, [...(this.failures.get(number) ?? []), ...Array<number>(times).fill(status)]);
  }

  to(number: string): SentSms[] {
    return this.sent.filter((message) => message.to === number);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await new Promise<string>((resolve) => {
      let text = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve(text));
    });
    this.raw.push({ headers: request.headers, body });
    const match = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Messages\.json$/.exec(request.url ?? '');
    if (request.method !== 'POST' || !match) return this.answer(response, 404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    const expected = `Basic ${Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString('base64')}`;
    if (request.headers.authorization !== expected || match[1] !== TWILIO_SID) {
      return this.answer(response, 401, { code: 20003, message: 'Authenticate', status: 401 });
    }
    const form = new URLSearchParams(body);
    const to = form.get('To') ?? '';
    const queued = this.failures.get(to);
    const failure = queued?.shift();
    if (failure) {
      this.requests.push({ to, status: failure });
      return this.answer(response, failure, { code: failure === 429 ? 20429 : 20500, message: failure === 429 ? 'Too Many Requests' : 'Internal Server Error', status: failure });
    }
    const error = TWILIO_ERROR_NUMBERS[to];
    if (error) {
      this.requests.push({ to, status: error.status });
      return this.answer(response, error.status, { ...error, more_info: `https://www.twilio.com/docs/errors/${error.code}` });
    }
    if (!to || !form.get('Body') || (!form.get('From') && !form.get('MessagingServiceSid'))) {
      this.requests.push({ to, status: 400 });
      return this.answer(response, 400, { code: 21604, message: "A 'To' phone number, a 'Body' and a 'From' are required.", status: 400 });
    }
    const message: SentSms = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      to,
      from: form.get('From') ?? undefined,
      messagingServiceSid: form.get('MessagingServiceSid') ?? undefined,
      body: form.get('Body')!,
    };
    this.sent.push(message);
    this.requests.push({ to, status: 201 });
    const now = new Date().toUTCString();
    this.answer(response, 201, {
      sid: message.sid,
      account_sid: TWILIO_SID,
      to: message.to,
      from: message.from ?? null,
      messaging_service_sid: message.messagingServiceSid ?? null,
      body: message.body,
      status: 'queued',
      num_segments: '1',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      date_created: now,
      date_updated: now,
      date_sent: null,
      price: null,
      price_unit: 'USD',
      error_code: null,
      error_message: null,
      uri: `/2010-04-01/Accounts/${TWILIO_SID}/Messages/${message.sid}.json`,
    });
  }

  private answer(response: ServerResponse, status: number, body: object): void {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}
