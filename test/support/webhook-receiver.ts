import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got, as it got it. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: unknown;
  signatureValid: boolean;
  answeredWith: number;
}

/**
 * The check the README shows receivers: `X-Webhook-Signature: t=<unix>,v1=<hex>` where v1 is the
 * HMAC-SHA256 of `t.rawBody` with the endpoint's secret, and t is within the tolerance.
 */
export function verifyWebhookSignature(secret: string, header: string | undefined, rawBody: string, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((part) => part.split('=', 2)));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds || typeof parts.v1 !== 'string') return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A webhook receiver on loopback. It verifies each request's signature with `secret` (a bad one
 * is answered 400) and answers valid ones with the scripted statuses in turn, the last one
 * repeated. It counts TCP connections, so a test can see that nothing ever connected.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  connections = 0;
  secret = '';
  private constructor(private readonly server: Server, readonly port: number, private readonly statuses: number[]) {}

  static async start(statuses: number[] = [200]): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined;
    const server = createServer((request, response) => {
      let raw = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (raw += chunk));
      request.on('end', () => {
        const self = receiver!;
        const signatureValid = verifyWebhookSignature(self.secret, request.headers['x-webhook-signature'] as string | undefined, raw);
        const answered = self.received.filter((hook) => hook.signatureValid).length;
        const status = signatureValid ? self.statuses[Math.min(answered, self.statuses.length - 1)] : 400;
        self.received.push({ headers: request.headers, rawBody: raw, body: JSON.parse(raw), signatureValid, answeredWith: status });
        response.writeHead(status).end();
      });
    });
    server.on('connection', () => (receiver!.connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new WebhookReceiver(server, (server.address() as AddressInfo).port, statuses);
    return receiver;
  }

  /** The receiver's URL on `host` (127.0.0.1, or `localhost`, a name that resolves to it). */
  url(host = '127.0.0.1', path = '/hooks'): string {
    return `http://${host}:${this.port}${path}`;
  }

  /** Requests with a valid signature that the receiver answered 2xx. */
  accepted(): ReceivedWebhook[] {
    return this.received.filter((hook) => hook.signatureValid && hook.answeredWith >= 200 && hook.answeredWith < 300);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
