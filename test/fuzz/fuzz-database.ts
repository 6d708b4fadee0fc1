import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../src/config/app-config';
import { validateEnvironment } from '../../src/config/environment';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { ensureDatabaseExists } from '../../src/database/ensure-database';

const SERVER_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface FuzzDatabase {
  url: string;
  drop: () => Promise<void>;
}

/**
 * A migrated database of this fuzz run's own (`queue_service_test_<pid>`, so the e2e suite's
 * sweep of abandoned databases drops it if this process dies before cleaning up).
 */
export async function createFuzzDatabase(): Promise<FuzzDatabase> {
  const name = `queue_service_test_${process.pid}`;
  await dropDatabase(name);
  const url = new URL(SERVER_URL);
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

async function dropDatabase(name: string): Promise<void> {
  const admin = new Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
