import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { DataSource, DataSourceOptions, EntityManager } from 'typeorm';
import { AppConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { JobRecord } from '../../src/persistence/job-record.entity';
import { TenantScope } from '../../src/database/tenant-scope';
import { VALID_PAYLOADS } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitForJobToFinish } from '../support/wait-for';

/**
 * Row-level security is the last line between tenants: these tests go to the database itself,
 * as the pool's superuser connection does, and show what TenantScope lets each tenant see.
 */
describe('Tenant isolation in the database', () => {
  let test: TestApp;
  let db: DataSource;
  let scope: TenantScope;
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const rowsOf: Record<string, string[]> = { [tenantA]: [], [tenantB]: [] };
  const allRows = () => [...rowsOf[tenantA], ...rowsOf[tenantB]];

  function insertJob(manager: EntityManager | DataSource, tenantId: string, id = randomUUID()): Promise<string> {
    return manager
      .query(
        `INSERT INTO jobs (id, tenant_id, queue, type, status, priority, data, max_attempts)
         VALUES ($1, $2, 'money', 'payment-process', 'completed', 3, '{"orderId":"ord_1"}', 1)`,
        [id, tenantId],
      )
      .then(() => id);
  }

  /** The tenant ids of the rows of this test that `manager` can see. */
  async function visibleTenants(manager: EntityManager | DataSource): Promise<string[]> {
    const rows: { tenant_id: string }[] = await manager.query(`SELECT tenant_id FROM jobs WHERE id = ANY($1::uuid[])`, [allRows()]);
    return rows.map((row) => row.tenant_id).sort();
  }

  const sorted = (...values: string[]) => [...values].sort();

  beforeAll(async () => {
    test = await startTestApp();
    db = test.app.get(DataSource);
    scope = test.app.get(TenantScope);
    for (const [tenantId, count] of [[tenantA, 2], [tenantB, 3]] as const) {
      for (let index = 0; index < count; index += 1) rowsOf[tenantId].push(await insertJob(db, tenantId));
    }
  });
  afterAll(() => test.close());

  it('the pool connects as a superuser, which by itself would see every tenant’s rows', async () => {
    const [role] = await db.query(`SELECT current_user AS name, rolsuper FROM pg_roles WHERE rolname = current_user`);
    expect(role).toEqual({ name: 'postgres', rolsuper: true });
    expect(await visibleTenants(db)).toEqual(sorted(tenantA, tenantA, tenantB, tenantB, tenantB));
  });

  it('TenantScope.run(A) sees only A’s rows, as queue_tenant with app.tenant_id = A', async () => {
    await scope.run(tenantA, async (manager) => {
      const [session] = await manager.query(
        `SELECT current_user AS role, session_user AS login, current_setting('app.tenant_id', true) AS tenant`,
      );
      expect(session).toEqual({ role: 'queue_tenant', login: 'postgres', tenant: tenantA });
      expect(await visibleTenants(manager)).toEqual([tenantA, tenantA]);
      // Not just these rows: nothing of any other tenant is visible, through the entity either.
      const [{ others }] = await manager.query(`SELECT count(*)::int AS others FROM jobs WHERE tenant_id <> $1`, [tenantA]);
      expect(others).toBe(0);
      const records = await manager.find(JobRecord);
      expect(records.map((record) => record.tenantId)).toEqual(records.map(() => tenantA));
      expect(records.map((record) => record.id)).toEqual(expect.arrayContaining(rowsOf[tenantA]));
      expect(await manager.findOneBy(JobRecord, { id: rowsOf[tenantB][0] })).toBeNull();
    });
  });

  it('TenantScope.run(B) sees only B’s rows', async () => {
    const seen = await scope.run(tenantB, (manager) => visibleTenants(manager));
    expect(seen).toEqual([tenantB, tenantB, tenantB]);
  });

  it('a tenant with no rows sees none', async () => {
    expect(await scope.run(randomUUID(), (manager) => visibleTenants(manager))).toEqual([]);
  });

  it('rejects a row with tenant B’s id inserted inside tenant A’s scope (WITH CHECK)', async () => {
    const id = randomUUID();
    await expect(scope.run(tenantA, (manager) => insertJob(manager, tenantB, id))).rejects.toMatchObject({
      message: expect.stringMatching(/row-level security policy/),
      driverError: expect.objectContaining({ code: '42501' }),
    });
    expect(await db.query(`SELECT id FROM jobs WHERE id = $1`, [id])).toEqual([]);
  });

  it('accepts a row with its own tenant id inside its scope', async () => {
    const id = await scope.run(tenantA, (manager) => insertJob(manager, tenantA));
    const [row] = await db.query(`SELECT tenant_id FROM jobs WHERE id = $1`, [id]);
    expect(row.tenant_id).toBe(tenantA);
    await db.query(`DELETE FROM jobs WHERE id = $1`, [id]);
  });

  it('cannot update or delete another tenant’s rows, nor hand its own rows to another tenant', async () => {
    const [foreign] = rowsOf[tenantB];
    const [own] = rowsOf[tenantA];
    await scope.run(tenantA, async (manager) => {
      const [, updated] = await manager.query(`UPDATE jobs SET status = 'failed' WHERE id = $1`, [foreign]);
      const [, deleted] = await manager.query(`DELETE FROM jobs WHERE id = $1`, [foreign]);
      expect([updated, deleted]).toEqual([0, 0]);
    });
    await expect(
      scope.run(tenantA, (manager) => manager.query(`UPDATE jobs SET tenant_id = $1 WHERE id = $2`, [tenantB, own])),
    ).rejects.toMatchObject({ driverError: expect.objectContaining({ code: '42501' }) });
    const rows = await db.query(`SELECT id, tenant_id, status FROM jobs WHERE id = ANY($1::uuid[]) ORDER BY id`, [[foreign, own]]);
    expect(rows).toEqual(
      sorted(foreign, own).map((id) => ({ id, tenant_id: id === own ? tenantA : tenantB, status: 'completed' })),
    );
  });

  it('jobs submitted over HTTP are on record under their tenant only', async () => {
    const tenant = newTenant();
    const response = await test.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`)
      .send({ type: 'payment-process', data: VALID_PAYLOADS['payment-process'] }).expect(201);
    await waitForJobToFinish(test, tenant.user, response.body.id);
    const own = await scope.run(tenant.tenantId, (manager) => manager.findOneBy(JobRecord, { id: response.body.id }));
    expect(own).toMatchObject({ id: response.body.id, tenantId: tenant.tenantId, status: 'completed' });
    expect(await scope.run(tenantA, (manager) => manager.findOneBy(JobRecord, { id: response.body.id }))).toBeNull();
  });

  describe('on one pooled connection', () => {
    let single: DataSource;
    let singleScope: TenantScope;

    beforeAll(async () => {
      const options = dataSourceOptions(test.app.get(AppConfig));
      single = new DataSource({ ...options, extra: { ...options.extra, max: 1 } } as DataSourceOptions);
      await single.initialize();
      singleScope = new TenantScope(single);
    });
    afterAll(() => single.destroy());

    const plainSession = async () => {
      const [session] = await single.query(
        `SELECT pg_backend_pid() AS pid, current_user AS role, current_setting('app.tenant_id', true) AS tenant`,
      );
      return session as { pid: number; role: string; tenant: string | null };
    };

    it('alternating tenants each see only their own rows, and nothing stays set after them', async () => {
      const pids = new Set<number>();
      for (let round = 0; round < 30; round += 1) {
        const tenantId = round % 2 === 0 ? tenantA : tenantB;
        const seen = await singleScope.run(tenantId, async (manager) => {
          const [session] = await manager.query(`SELECT pg_backend_pid() AS pid, current_setting('app.tenant_id', true) AS tenant`);
          pids.add(session.pid);
          expect(session.tenant).toBe(tenantId);
          return visibleTenants(manager);
        });
        expect(seen).toEqual(rowsOf[tenantId].map(() => tenantId));
      }
      // One connection served every transaction: each one really followed another tenant's.
      expect(pids.size).toBe(1);

      const after = await plainSession();
      expect(pids.has(after.pid)).toBe(true);
      expect(after.role).toBe('postgres');
      expect(after.tenant ?? '').toBe('');
      expect(await visibleTenants(single)).toEqual(sorted(tenantA, tenantA, tenantB, tenantB, tenantB));
    });

    it('a scope that fails leaves nothing set either', async () => {
      await expect(
        singleScope.run(tenantA, async (manager) => {
          await manager.query(`SELECT 1`);
          throw new Error('the work failed');
        }),
      ).rejects.toThrow('the work failed');
      const after = await plainSession();
      expect(after.role).toBe('postgres');
      expect(after.tenant ?? '').toBe('');
      expect(await singleScope.run(tenantB, (manager) => visibleTenants(manager))).toEqual([tenantB, tenantB, tenantB]);
    });

    it('TenantScope.statement runs one statement as its tenant only, commits it, and leaves nothing set', async () => {
      const marked = (tenantId: string) => singleScope.statement<{ id: string }>(
        tenantId,
        `UPDATE jobs SET progress = progress + 1 WHERE id = ANY($1::uuid[]) RETURNING id`,
        [allRows()],
      );
      const before: { id: string; progress: number }[] = await single.query(`SELECT id, progress FROM jobs WHERE id = ANY($1::uuid[])`, [allRows()]);
      const progressBefore = new Map(before.map((row) => [row.id, row.progress]));
      const asA = await marked(tenantA);
      const asB = await marked(tenantB);
      expect(asA.rows.map((row) => row.id).sort()).toEqual([...rowsOf[tenantA]].sort());
      expect(asA.rowCount).toBe(2);
      expect(asB.rows.map((row) => row.id).sort()).toEqual([...rowsOf[tenantB]].sort());
      // Committed: a plain session sees each row moved once, by its own tenant's statement only.
      const after: { id: string; progress: number }[] = await single.query(`SELECT id, progress FROM jobs WHERE id = ANY($1::uuid[])`, [allRows()]);
      expect(after.map((row) => row.progress - progressBefore.get(row.id)!)).toEqual(after.map(() => 1));
      const session = await plainSession();
      expect(session.role).toBe('postgres');
      expect(session.tenant ?? '').toBe('');
    });

    it('TenantScope.statement sends its opening, statement and COMMIT to PostgreSQL in one socket write', async () => {
      const [{ port }] = await single.query(`SELECT client_port AS port FROM pg_stat_activity WHERE pid = pg_backend_pid()`);
      const writes: number[] = [];
      const socketProto = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
      const originals = { _write: socketProto._write, _writev: socketProto._writev };
      for (const method of ['_write', '_writev'] as const) {
        socketProto[method] = function counted(this: Socket, ...args: unknown[]) {
          if (this.localPort === port) writes.push(method === '_writev' ? (args[0] as unknown[]).length : 1);
          return originals[method].apply(this, args);
        };
      }
      try {
        const { rows } = await singleScope.statement<{ tenant: string }>(tenantA, `SELECT current_setting('app.tenant_id') AS tenant`, []);
        expect(rows).toEqual([{ tenant: tenantA }]);
      } finally {
        Object.assign(socketProto, originals);
      }
      // One write of every message (a writev of the buffered chunks), not one per query.
      expect(writes.length).toBe(1);
    });

    it('TenantScope.statement that fails writes nothing and leaves no transaction open', async () => {
      const foreign = randomUUID();
      await expect(
        singleScope.statement(
          tenantA,
          `INSERT INTO jobs (id, tenant_id, queue, type, status, priority, data, max_attempts)
           VALUES ($1, $2, 'money', 'payment-process', 'completed', 3, '{}', 1)`,
          [foreign, tenantB],
        ),
      ).rejects.toThrow(/row-level security/);
      expect(await single.query(`SELECT id FROM jobs WHERE id = $1`, [foreign])).toEqual([]);
      // A statement outside a transaction block starts its own: its transaction began with it.
      const [{ ownTransaction }] = await single.query(
        `SELECT xact_start = query_start AS "ownTransaction" FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
      );
      expect(ownTransaction).toBe(true);
      const session = await plainSession();
      expect(session.role).toBe('postgres');
      expect(session.tenant ?? '').toBe('');
    });

    it('a scope whose SQL fails leaves nothing set either', async () => {
      await expect(
        singleScope.run(tenantB, (manager) => manager.query(`SELECT * FROM no_such_table`)),
      ).rejects.toThrow(/no_such_table/);
      const after = await plainSession();
      expect(after.role).toBe('postgres');
      expect(after.tenant ?? '').toBe('');
    });
  });
});
