import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../src/config/app-config';
import { validateEnvironment } from '../../src/config/environment';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { ensureDatabaseExists } from '../../src/database/ensure-database';
import { buildServiceForTests } from './service-build';

const SERVER_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RUN_DATABASE = /^queue_service_test_(\d+)$/;

/**
 * A fresh database for this run (`queue_service_test_<pid>`), migrated once before any test
 * starts; test workers find it in TEST_DATABASE_URL. Databases of earlier runs whose process
 * is gone are dropped, so concurrent runs on one machine never drop each other's.
 */
export default async function globalSetup(): Promise<void> {
  const build = buildServiceForTests();
  const name = `queue_service_test_${process.pid}`;
  await dropAbandonedDatabases();
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  process.env.TEST_DATABASE_URL = url.toString();
  await ensureDatabaseExists(process.env.TEST_DATABASE_URL);

  const config = new AppConfig(validateEnvironment({ NODE_ENV: 'test', DATABASE_URL: process.env.TEST_DATABASE_URL }));
  const dataSource = new DataSource(dataSourceOptions(config));
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();
  await build;
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

async function dropAbandonedDatabases(): Promise<void> {
  const admin = new Client({ connectionString: SERVER_URL });
  await admin.connect();
  const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'queue_service_test%'`);
  await admin.end();
  for (const { datname } of rows) {
    const pid = RUN_DATABASE.exec(datname)?.[1];
    if (pid === undefined || !isRunning(Number(pid))) await dropDatabase(datname);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
