import { existsSync, mkdtempSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { DASHBOARD_COOKIE } from '../../src/dashboard/dashboard-sessions';
import { submitOk } from '../support/job-requests';
import { DECLINED_PAYMENT } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { settledBullJob, waitForJobToFinish } from '../support/wait-for';

/** Debian's package `chromium`; `.ci/run` installs it. Without it these tests say so and pass unrun. */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const BROWSER_TIMEOUT_MS = 20_000;

describe('Queue dashboard in a real browser (headless Chromium)', () => {
  let test: TestApp;
  let browser: Browser | undefined;
  let base: string;

  beforeAll(async () => {
    if (!haveChromium) {
      console.warn(`${CHROMIUM} is absent: the dashboard browser tests are skipped (apt-get install chromium)`);
      return;
    }
    test = await startTestApp();
    const server = test.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await test?.close();
  });

  it('opens with an admin token, shows the three queues and a failed payment, and saves a screenshot', async () => {
    if (!browser) return;
    const tenant = newTenant();
    const { id } = await submitOk(test, tenant.user, 'payment-process', DECLINED_PAYMENT);
    expect(await waitForJobToFinish(test, tenant.user, id)).toMatchObject({ status: 'failed' });
    await settledBullJob(test, 'money', id);

    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(BROWSER_TIMEOUT_MS);
    const refused = await page.goto(`${base}/admin/queues/queue/money?status=failed`, { waitUntil: 'domcontentloaded' });
    expect(refused?.status()).toBe(401);
    await page.fill('#token', tenant.admin);
    await page.click('#open');

    // The page loads again, now with the session cookie, and bull-board renders the queues.
    for (const queue of ['money', 'communication', 'background']) {
      await page.getByText(queue, { exact: true }).first().waitFor();
    }
    await page.getByText(id).first().waitFor();
    await page.getByText(/declined/i).first().waitFor();

    const cookies = await context.cookies();
    expect(cookies.find((cookie) => cookie.name === DASHBOARD_COOKIE)).toMatchObject({
      httpOnly: true, sameSite: 'Strict', path: '/admin/queues',
    });
    // HttpOnly: the page's own scripts cannot read the session.
    expect(await page.evaluate('document.cookie')).not.toContain(DASHBOARD_COOKIE);

    const screenshot = join(mkdtempSync(join(tmpdir(), 'dashboard-')), 'failed-payment.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
    console.log(`dashboard screenshot: ${screenshot}`);
    await context.close();
  }, 60_000);

  it('refuses a non-admin: a venue admin token opens no session and the board stays closed', async () => {
    if (!browser) return;
    const tenant = newTenant();
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(BROWSER_TIMEOUT_MS);
    expect((await page.goto(`${base}/admin/queues`, { waitUntil: 'domcontentloaded' }))?.status()).toBe(401);
    await page.fill('#token', tenant.venueAdmin);
    await page.click('#open');
    await page.getByText('403: Requires one of the roles: admin').waitFor();
    expect((await context.cookies()).map((cookie) => cookie.name)).not.toContain(DASHBOARD_COOKIE);
    const api = await page.request.get(`${base}/admin/queues/api/queues`);
    expect(api.status()).toBe(401);
    await context.close();
  }, 60_000);
});
