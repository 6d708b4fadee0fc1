import { Client } from 'pg';

const ALREADY_CREATED = new Set(['42P04', '23505']);

/**
 * Creates the database named in the URL when it does not exist (development and tests only),
 * by connecting to the server's `postgres` maintenance database.
 */
export async function ensureDatabaseExists(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new Error(`Refusing to create a database with an unusual name: ${name}`);
  }
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } catch (error) {
      // Another process created it between our check and our CREATE: that is fine. PostgreSQL
      // says so as 42P04 (duplicate_database) or, when both CREATEs run at once, as 23505 on
      // pg_database's name index.
      if (!ALREADY_CREATED.has((error as { code?: string }).code ?? '')) throw error;
      return false;
    }
    return true;
  } finally {
    await client.end();
  }
}
