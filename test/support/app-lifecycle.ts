import { createPrivateDatabase, PrivateDatabase } from './private-database';
import { startTestApp, TestApp } from './test-app';

/**
 * For tests that start apps of their own: answers a `startTestApp` whose apps are closed after
 * each test, however it ended. Call it inside a `describe`.
 */
export function appsClosedAfterEach(): typeof startTestApp {
  const open: TestApp[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((app) => app.close().catch(() => undefined)));
  });
  return async (...args) => {
    const app = await startTestApp(...args);
    open.push(app);
    return app;
  };
}

/**
 * A database of this file's own (see createPrivateDatabase), made before its first test and
 * dropped after its last. Call it at the top level of the file, so that every `describe`'s
 * apps are closed before it is dropped; pass `env()` to the apps.
 */
export function privateDatabaseForThisFile(): { env: () => { DATABASE_URL: string } } {
  let database: PrivateDatabase | undefined;
  beforeAll(async () => {
    database = await createPrivateDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });
  return {
    env: () => {
      if (!database) throw new Error('The private database is made in beforeAll: call env() from a hook or a test');
      return { DATABASE_URL: database.url };
    },
  };
}
