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
 * apps are closed before it is dropped. Every app (and worker process) the file starts uses it;
 * `env()` names it for apps that set their environment explicitly.
 *
 * Needed by files whose apps pause queues, change shared rows, or run recovery with a short
 * grace: recovery re-adds every pending record of its database, other files' included.
 */
export function privateDatabaseForThisFile(): { env: () => { DATABASE_URL: string } } {
  let database: PrivateDatabase | undefined;
  let shared: string | undefined;
  beforeAll(async () => {
    database = await createPrivateDatabase();
    shared = process.env.DATABASE_URL;
    process.env.DATABASE_URL = database.url;
  });
  afterAll(async () => {
    process.env.DATABASE_URL = shared;
    await database?.drop();
  });
  return {
    env: () => {
      if (!database) throw new Error('The private database is made in beforeAll: call env() from a hook or a test');
      return { DATABASE_URL: database.url };
    },
  };
}
