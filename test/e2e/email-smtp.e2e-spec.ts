import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { EmailTemplate } from '../../src/job-definitions/payloads/communication.payloads';
import { EmailGateway } from '../../src/notifications/notification.gateways';
import { appsClosedAfterEach, privateDatabaseForThisFile } from '../support/app-lifecycle';
import { expectErrorBody, fieldsOf } from '../support/error-body';
import { submit, submitOk } from '../support/job-requests';
import { OTHER_WALLET, paymentJob, WALLET } from '../support/payloads';
import { REJECTED_PREFIX, SMTP_PASSWORD, SmtpSink } from '../support/smtp-sink';
import { newTenant, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

// Terminates a backend of its app mid-completion: a database of its own, so no other file's connection is near.
const database = privateDatabaseForThisFile();

const MAIL_FROM = 'Tickets <tickets@venue.example>';
const FOOTER = 'Please do not reply to this message.';
const FAST_RETRIES = JSON.stringify({ 'email-send': { attempts: 6, backoff: 'fixed', baseDelayMs: 300, maxDelayMs: 300 } });

const emailJob = (to: string, data: Record<string, unknown>) => ({ type: 'email-send', data: { to, ...data } });

describe('E-mail over SMTP (nodemailer through @nestjs-modules/mailer) to a sink on loopback', () => {
  const start = appsClosedAfterEach();
  let sink: SmtpSink;
  const liveApp = (env: Record<string, string> = {}) =>
    start({ env: { ...database.env(), SMTP_URL: sink.url, MAIL_FROM, RETRY_STRATEGIES: FAST_RETRIES, ...env } });

  beforeEach(async () => {
    sink = await new SmtpSink().start();
  });
  afterEach(() => sink.stop());

  async function sendAndReceive(app: TestApp, to: string, data: Record<string, unknown>) {
    const tenant = newTenant();
    const job = await submitOk(app, tenant.user, 'email-send', { to, ...data });
    const finished = await waitForJobToFinish(app, tenant.user, job.id);
    expect(finished).toMatchObject({ status: 'completed', attempts: 1 });
    const [mail] = await sink.waitForMessages(to);
    return { finished, mail, tenant };
  }

  const TEMPLATES: [EmailTemplate, Record<string, unknown>, string, string[]][] = [
    ['payment-confirmation', { orderId: 'ord_tpl', amount: 2500, currency: 'usd', paymentIntentId: 'pi_tpl' }, 'Payment received for order ord_tpl', ['$25.00', 'ord_tpl', 'pi_tpl']],
    ['refund-confirmation', { orderId: 'ord_ref', refundId: 're_tpl', amount: 1000, currency: 'eur' }, 'Your refund for order ord_ref is on its way', ['€10.00', 're_tpl']],
    ['nft-minted', { ticketId: 'tkt_42', name: 'Main Stage GA #42', mintAddress: WALLET, recipientWallet: OTHER_WALLET }, 'Your ticket Main Stage GA #42 has been minted', [WALLET, OTHER_WALLET, 'tkt_42']],
    ['admin-alert', { title: 'Queue money is backing up', severity: 'critical', message: '120 jobs waiting', queue: 'money' }, 'Queue service alert (critical): Queue money is backing up', ['120 jobs waiting', 'money']],
    ['generic', { heading: 'Doors open at 7', message: 'Bring your ticket', gate: 'B' }, 'Doors open at 7', ['Bring your ticket', 'gate']],
  ];

  it.each(TEMPLATES)('%s arrives with its subject, an HTML and a text part, both in the layout', async (template, data, subject, shown) => {
    const app = await liveApp();
    const to = `${template}@fans.example`;
    const { finished, mail } = await sendAndReceive(app, to, { template, data });

    expect(mail.recipients).toEqual([to]);
    expect(mail.parsed.from?.text).toBe('"Tickets" <tickets@venue.example>');
    expect(mail.parsed.subject).toBe(subject);
    expect(mail.parsed.html).toEqual(expect.stringContaining('data-part="footer"'));
    for (const part of [mail.parsed.html as string, mail.parsed.text ?? '']) {
      expect(part).toContain(FOOTER);
      for (const value of shown) expect(part).toContain(value);
    }
    // A Message-ID derived from the job's key, the same on any re-run; the job's result names it.
    expect(mail.parsed.messageId).toMatch(/^<[0-9a-f]{40}@venue\.example>$/);
    expect(finished.result).toEqual({ messageId: mail.parsed.messageId, template });
    expect(mail.parsed.headers.get('x-idempotency-key')).toBe(mail.parsed.messageId!.slice(1, 41));
  });

  it('escapes every value in the HTML part, keeps it as written in the text part, and folds line breaks out of the subject', async () => {
    const app = await liveApp();
    const to = 'escaped@fans.example';
    const script = '<script>alert(1)</script>';
    const { mail } = await sendAndReceive(app, to, {
      template: 'payment-confirmation',
      data: { orderId: `${script}\r\nBcc: victim@elsewhere.example`, amount: 100, currency: 'usd', paymentIntentId: '"><img src=x onerror=alert(2)>' },
    });

    const html = mail.parsed.html as string;
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(2)&gt;');
    expect(mail.parsed.text).toContain(script);
    // One line: the would-be header stays inside the subject, and the envelope has one recipient.
    expect(mail.parsed.subject).toBe(`Payment received for order ${script} Bcc: victim@elsewhere.example`);
    expect(mail.parsed.headers.has('bcc')).toBe(false);
    expect(mail.recipients).toEqual([to]);
    expect(mail.raw.split('\r\n\r\n')[0]).not.toMatch(/^Bcc:/im);
  });

  it('sends the subject-and-body form: the body escaped in the layout\'s HTML, as written in its text', async () => {
    const app = await liveApp();
    const to = 'body@fans.example';
    const { finished, mail } = await sendAndReceive(app, to, {
      subject: 'Gate change for tonight',
      body: 'Hello <b>fan</b>,\n\nGate B is now gate C.\nSee you there.',
    });

    expect(finished.result).toMatchObject({ template: null });
    expect(mail.parsed.subject).toBe('Gate change for tonight');
    expect(mail.parsed.html).toContain('<p>Hello &lt;b&gt;fan&lt;/b&gt;,</p>');
    expect(mail.parsed.html).toContain('<p>Gate B is now gate C.<br>See you there.</p>');
    expect(mail.parsed.html).toContain(FOOTER);
    expect(mail.parsed.text).toContain('Hello <b>fan</b>,\n\nGate B is now gate C.\nSee you there.');
    expect(mail.parsed.text).toContain(FOOTER);
  });

  it('refuses an e-mail job that is neither form, naming the missing or conflicting field', async () => {
    const app = await liveApp();
    const tenant = newTenant();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ to: 'a@fans.example', data: {} }, 'data.template', /template is required unless subject and body are given/],
      [{ to: 'a@fans.example', body: 'Hi' }, 'data.subject', /subject is required with body/],
      [{ to: 'a@fans.example', template: 'generic' }, 'data.data', /data is required with template/],
      [{ to: 'a@fans.example', template: 'generic', data: {}, subject: 'Hi', body: 'Hi' }, 'data.body', /cannot be combined with template/],
      [{ to: 'a@fans.example', subject: 'Hi\r\nBcc: x@y.example', body: 'Hi' }, 'data.subject', /single line/],
    ];
    for (const [data, field, message] of cases) {
      const response = await submit(app, tenant.user, { type: 'email-send', data });
      expectErrorBody(response, 400, 'Bad Request');
      expect(fieldsOf(response)).toEqual([field]);
      expect(response.body.details[0].message).toMatch(message);
    }
    expect(sink.received).toEqual([]);
  });

  it('treats an SMTP server that is down as transient, and sends one message once it is back', async () => {
    const app = await liveApp();
    const tenant = newTenant();
    await sink.stop();
    const job = await submitOk(app, tenant.user, 'email-send', { to: 'later@fans.example', template: 'generic', data: { message: 'Hello' } });

    const failedOnce = await waitFor(async () => {
      const { body } = await app.http().get(`/jobs/${job.id}`).set('Authorization', `Bearer ${tenant.user}`).expect(200);
      return body.error ? body : undefined;
    });
    expect(failedOnce.status).not.toBe('failed');
    expect(failedOnce.error).toMatchObject({ type: 'smtp_unreachable', permanent: false });
    expect(JSON.stringify(failedOnce.error)).not.toContain('sink-password');

    await sink.start();
    const finished = await waitForJobToFinish(app, tenant.user, job.id);
    expect(finished.status).toBe('completed');
    expect(finished.attempts).toBeGreaterThan(1);
    expect(sink.to('later@fans.example')).toHaveLength(1);
  });

  it('sends no second message when the completion is lost after the server accepted the first (the email_sent step)', async () => {
    const app = await liveApp();
    const tenant = newTenant();
    const to = 'once@fans.example';
    const held = sink.holdNextAnswer();
    const job = await submitOk(app, tenant.user, 'email-send', { to, template: 'generic', data: { message: 'Once' } });
    await held.arrived();

    // The record is claimed; lock it so the completion's UPDATE waits (NO KEY: the journal's
    // foreign key still gets its share lock), then cut that connection mid-write.
    const lock = new Client({ connectionString: database.env().DATABASE_URL });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('SELECT 1 FROM jobs WHERE id = $1 FOR NO KEY UPDATE', [job.id]);
      held.release();
      const blocked = await waitFor(async () => {
        const rows: { pid: number }[] = (await lock.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
        )).rows;
        return rows.length ? rows : undefined;
      });
      for (const { pid } of blocked) await lock.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await lock.query('COMMIT');
      await lock.end();
    }

    const finished = await waitFor(async () => {
      const view = await waitForJobToFinish(app, tenant.user, job.id);
      return view.attempts > 1 ? view : undefined;
    }, 20_000, 'the job to complete on a second attempt');
    expect(finished.status).toBe('completed');
    expect(sink.to(to)).toHaveLength(1);
    expect(finished.result).toMatchObject({ messageId: sink.to(to)[0].parsed.messageId });
    const db = app.app.get(DataSource);
    expect(await db.query(`SELECT step FROM critical_jobs WHERE job_id = $1`, [job.id])).toEqual([{ step: 'email_sent' }]);
  });

  it('fails a recipient the server refuses (550) for good: one attempt, dead-lettered', async () => {
    const app = await liveApp();
    const tenant = newTenant();
    const job = await submitOk(app, tenant.user, 'email-send', { to: `${REJECTED_PREFIX}@fans.example`, template: 'generic', data: { message: 'Hi' } });
    const finished = await waitForJobToFinish(app, tenant.user, job.id);
    expect(finished).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'smtp_rejected', permanent: true } });
    expect(finished.error!.message).toContain('550');
    const db = app.app.get(DataSource);
    await waitFor(async () => ((await db.query(`SELECT 1 FROM dead_letter_jobs WHERE job_id = $1`, [job.id])).length ? true : undefined));
    expect(sink.received).toEqual([]);
  });

  it('sends the payment-confirmation e-mail of a payment with customerEmail through the SMTP server (a follow-up job)', async () => {
    const app = await liveApp();
    const tenant = newTenant();
    const to = 'buyer@fans.example';
    const { body } = await submit(app, tenant.user, paymentJob({ orderId: 'ord_smtp_follow_up', customerEmail: to })).expect(201);
    expect(await waitForJobToFinish(app, tenant.user, body.id)).toMatchObject({ status: 'completed' });

    const [mail] = await sink.waitForMessages(to);
    expect(mail.parsed.subject).toBe('Payment received for order ord_smtp_follow_up');
    expect(mail.parsed.html).toContain('$25.00');
    expect(mail.parsed.html).toContain(FOOTER);
    expect(mail.parsed.text).toContain('We received your payment of $25.00 for order ord_smtp_follow_up.');
  });

  it('testConnection verifies the SMTP server and its credentials (for the health probes)', async () => {
    const app = await liveApp();
    const gateway = app.app.get(EmailGateway);
    await expect(gateway.testConnection()).resolves.toBeUndefined();
    await sink.stop();
    await expect(gateway.testConnection()).rejects.toMatchObject({ code: 'smtp_unreachable', permanent: false });
    await sink.start();
    const wrongPassword = await liveApp({ SMTP_URL: sink.url.replace(SMTP_PASSWORD, 'wrong') });
    const refused = await wrongPassword.app.get(EmailGateway).testConnection().catch((error: Error) => error);
    expect(refused).toMatchObject({ code: 'smtp_auth_failed', permanent: true });
    expect((refused as Error).message).not.toContain('wrong');
  });

  it('fails every e-mail job as provider_disabled when PROVIDERS_DISABLED names email', async () => {
    const app = await liveApp({ PROVIDERS_DISABLED: 'email' });
    const tenant = newTenant();
    const job = await submitOk(app, tenant.user, 'email-send', { to: 'off@fans.example', template: 'generic', data: {} });
    expect(await waitForJobToFinish(app, tenant.user, job.id)).toMatchObject({
      status: 'failed', attempts: 1, error: { type: 'provider_disabled', permanent: true },
    });
    expect(sink.received).toEqual([]);
  });
});
