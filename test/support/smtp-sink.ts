import { AddressInfo } from 'node:net';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { waitFor } from './wait-for';

export const SMTP_USER = 'sink-user';
export const SMTP_PASSWORD = 'sink-password-not-a-secret';

/** Recipients starting with this are refused with 550 (no such mailbox), as a real server would. */
export const REJECTED_PREFIX = 'no-such-mailbox';

export interface ReceivedMail {
  /** RCPT TO of the envelope. */
  recipients: string[];
  raw: string;
  parsed: ParsedMail;
}

/**
 * A real SMTP server on loopback (smtp-server) standing for the mail provider: it checks the
 * credentials, keeps every message it accepted (raw, and parsed by mailparser), can be stopped
 * and started again on its port, and can hold its answer to a message until the test lets it go.
 */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  private server?: SMTPServer;
  private port = 0;
  private held?: { release: () => void; released: Promise<void>; arrived: boolean };

  /** `smtp://user:password@127.0.0.1:<port>`, the app's SMTP_URL. */
  get url(): string {
    return `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = new SMTPServer({
      // Loopback only: no STARTTLS (nodemailer would refuse the self-signed certificate), plain AUTH allowed.
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      logger: false,
      onAuth: (auth, _session, callback) => {
        if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) return callback(null, { user: auth.username });
        return callback(new Error('Invalid username or password'));
      },
      onRcptTo: (address, _session, callback) => {
        if (!address.address.startsWith(REJECTED_PREFIX)) return callback();
        return callback(Object.assign(new Error('5.1.1 Mailbox unavailable'), { responseCode: 550 }));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          void simpleParser(raw).then(async (parsed) => {
            const recipients = session.envelope.rcptTo.map((address) => address.address);
            this.received.push({ recipients, raw, parsed });
            const held = this.held;
            if (held) {
              held.arrived = true;
              await held.released;
            }
            callback();
          }, callback);
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Refuses connections from now on (the port stays reserved for start()). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.held?.release();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next message is kept, but the 250 answering it waits for release(). */
  holdNextAnswer(): { arrived: () => Promise<true>; release: () => void } {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held = { release, released, arrived: false };
    this.held = held;
    return {
      arrived: () => waitFor(async () => (held.arrived ? true : undefined), 15_000, 'a message to reach the SMTP sink'),
      release: () => {
        if (this.held === held) this.held = undefined;
        release();
      },
    };
  }

  to(address: string): ReceivedMail[] {
    return this.received.filter((mail) => mail.recipients.includes(address));
  }

  /** Waits for `count` messages to `address` and answers them. */
  async waitForMessages(address: string, count = 1, timeoutMs = 15_000): Promise<ReceivedMail[]> {
    return waitFor(async () => (this.to(address).length >= count ? this.to(address) : undefined), timeoutMs, `${count} message(s) to ${address}`);
  }
}
