import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ensureDatabaseExists } from './ensure-database';

/** On the real PostgreSQL: processes starting together must all get the database, and none fail. */
describe('ensureDatabaseExists', () => {
  const server = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `queue_service_ensure_${randomUUID().slice(0, 8)}`;
  const url = Object.assign(new URL(server), { pathname: `/${name}` }).toString();

  afterAll(async () => {
    const admin = new Client({ connectionString: server });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it('creates a missing database once when eight callers race for it, and each of them succeeds', async () => {
    const created = await Promise.all(Array.from({ length: 8 }, () => ensureDatabaseExists(url)));
    expect(created.filter(Boolean)).toHaveLength(1);
    expect(await ensureDatabaseExists(url)).toBe(false);
  });

  it('refuses a database name it would have to quote', async () => {
    await expect(ensureDatabaseExists(server.replace(/\/postgres$/, '/bad"name'))).rejects.toThrow('unusual name');
  });
});
