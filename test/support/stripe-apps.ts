import { JobRecords } from '../../src/persistence/job-records';
import { StripeFake } from './stripe-fake/stripe-fake';
import { startTestApp, TestApp } from './test-app';

/**
 * For tests that hold calls at one shared Stripe fake (a dying worker and its survivor talk to
 * the same Stripe, so a re-run's call is a replay). After each test: held calls are let go first
 * (closing an app waits for its running jobs), records the test left unfinished are cancelled (a
 * later test's short-grace recovery on the same database would run them), then its apps close.
 * Call it inside a `describe`.
 */
export function appsOnOneStripe() {
  let fake: StripeFake | undefined;
  const open: TestApp[] = [];
  const unfinished: { app: TestApp; tenantId: string; jobId: string }[] = [];
  beforeAll(async () => {
    fake = await StripeFake.start();
  });
  afterAll(async () => {
    await fake?.close();
  });
  afterEach(async () => {
    fake?.releaseAll();
    for (const { app, tenantId, jobId } of unfinished.splice(0)) await app.app.get(JobRecords).markCancelled(tenantId, jobId);
    await Promise.all(open.splice(0).map((app) => app.close().catch(() => undefined)));
  });
  return {
    /** The fake; available from the describe's first beforeAll on. */
    stripe: (): StripeFake => {
      if (!fake) throw new Error('The Stripe fake starts in beforeAll: use it from a hook or a test');
      return fake;
    },
    start: async (...args: Parameters<typeof startTestApp>): Promise<TestApp> => {
      const app = await startTestApp(...args);
      open.push(app);
      return app;
    },
    leaveUnfinished: (app: TestApp, tenantId: string, jobId: string): void => {
      unfinished.push({ app, tenantId, jobId });
    },
  };
}
