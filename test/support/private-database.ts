import { DataSource } from 'typeorm';
import { AppConfig } from '../../src/config/app-config';
import { validateEnvironment } from '../../src/config/environment';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { ensureDatabaseExists } from '../../src/database/ensure-database';
import { dropDatabase } from './global-setup';

export interface PrivateDatabase {
  url: string;
  drop: () => Promise<void>;
}

/**
 * A migrated database of this Jest worker's own, for tests that change rows every app reads at
 * start-up or per call (a queue's paused state in `queues`, the provider buckets in
 * `rate_limiters`): a file running alongside on the run's shared database never sees them.
 * Named after the worker's pid (one at a time per worker), so global-setup's sweep of
 * abandoned databases, which keeps those of live processes, leaves it alone while it is used.
 */
export async function createPrivateDatabase(): Promise<PrivateDatabase> {
  const name = `queue_service_test_${process.pid}`;
  await dropDatabase(name);
  const url = new URL(requireEnv('DATABASE_URL'));
  url.pathname = `/${name}`;
  await ensureDatabaseExists(url.toString());
  const config = new AppConfig(validateEnvironment({ NODE_ENV: 'test', DATABASE_URL: url.toString() }));
  const dataSource = new DataSource(dataSourceOptions(config));
  await dataSource.initialize();
  try {
    await dataSource.runMigrations();
  } finally {
    await dataSource.destroy();
  }
  return { url: url.toString(), drop: () => dropDatabase(name) };
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (test/support/test-env.ts sets it)`);
  return value;
}
