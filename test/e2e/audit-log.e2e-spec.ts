import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TenantScope } from '../../src/database/tenant-scope';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { auditedCall, AuditRow, auditRowOf, Method, SCHEDULE } from '../support/audit-rows';
import { auth } from '../support/job-requests';
import { newTenant, startTestApp, TestApp, tokenFor } from '../support/test-app';

/** The operator's listing must see only this file's rows of other tenants: a database of its own. */
const database = privateDatabaseForThisFile();

/** Reading the trail (GET /audit), its tenant isolation, and that nothing can change it. */
describe('Audit trail: reading and keeping it', () => {
  let test: TestApp;
  const venue = newTenant();
  const venueAdmin = tokenFor({ tenantId: venue.tenantId, roles: ['venue_admin'], sub: 'venue-admin-a' });
  const venueUser = tokenFor({ tenantId: venue.tenantId, roles: ['user'], sub: 'user-a' });
  const operatorHome = randomUUID();
  const operator = tokenFor({ tenantId: operatorHome, roles: ['admin'], sub: 'operator-1' });

  beforeAll(async () => {
    test = await startTestApp({ env: database.env() });
  });
  afterAll(async () => {
    await test?.close();
  });

  const call = (method: Method, path: string, token: string, body?: object) => auditedCall(test, method, path, token, body);
  const rowOf = (requestId: string): Promise<AuditRow> => auditRowOf(test, requestId);

  describe('GET /audit', () => {
    const tenantB = newTenant();
    const adminB = tokenFor({ tenantId: tenantB.tenantId, roles: ['venue_admin'], sub: 'venue-admin-b' });
    let rowOfA: string;
    let rowOfB: string;

    beforeAll(async () => {
      const a = call('post', '/schedules', venueAdmin, { ...SCHEDULE, name: 'listing-a' });
      const b = call('post', '/schedules', adminB, { ...SCHEDULE, name: 'listing-b' });
      expect([(await a.response).status, (await b.response).status]).toEqual([201, 201]);
      rowOfA = (await rowOf(a.requestId)).id;
      rowOfB = (await rowOf(b.requestId)).id;
    });

    const list = async (token: string, query: Record<string, string | number> = {}) => {
      const response = await test.http().get('/audit').query(query).set(auth(token));
      expect(response.status).toBe(200);
      return response.body as { items: { id: string; tenantId: string; actor: string; action: string; target: string | null }[]; total: number; limit: number; offset: number };
    };

    it("shows a venue admin its own tenant's rows and never another tenant's", async () => {
      const ofA = await list(venueAdmin, { limit: 100 });
      expect(ofA.items.map((item) => item.id)).toContain(rowOfA);
      expect(ofA.items.map((item) => item.id)).not.toContain(rowOfB);
      expect(new Set(ofA.items.map((item) => item.tenantId))).toEqual(new Set([venue.tenantId]));
      // Not even when asked for by B's actor or B's schedule.
      expect((await list(venueAdmin, { actor: 'venue-admin-b' })).items).toEqual([]);
      const ofB = await list(adminB, { limit: 100 });
      expect(ofB.items.map((item) => item.id)).toEqual([rowOfB]);
      expect(ofB.total).toBe(1);
    });

    it('shows a platform operator every tenant', async () => {
      const both = await list(operator, { action: 'schedule.create', limit: 100 });
      expect(both.items.map((item) => item.id)).toEqual(expect.arrayContaining([rowOfA, rowOfB]));
      expect(new Set(both.items.map((item) => item.tenantId))).toEqual(new Set([venue.tenantId, tenantB.tenantId]));
    });

    it('answers 403 to a user', async () => {
      const response = await test.http().get('/audit').set(auth(venueUser));
      expect(response.status).toBe(403);
    });

    it('filters by actor, action, target and time, newest first, in pages', async () => {
      const byActor = await list(operator, { actor: 'venue-admin-b' });
      expect(byActor.items.map((item) => item.id)).toEqual([rowOfB]);
      const [row] = await test.app.get(DataSource).query(`SELECT target, occurred_at FROM audit_log WHERE id = $1`, [rowOfA]);
      expect((await list(operator, { target: row.target })).items.map((item) => item.id)).toEqual([rowOfA]);
      const at = row.occurred_at as Date;
      const window = { action: 'schedule.create', actor: 'venue-admin-a' };
      const inWindow = await list(operator, { ...window, from: at.toISOString(), to: new Date(at.getTime() + 1).toISOString() });
      expect(inWindow.items.map((item) => item.id)).toEqual([rowOfA]);
      expect((await list(operator, { ...window, from: new Date(at.getTime() + 1).toISOString() })).items.map((item) => item.id)).not.toContain(rowOfA);
      expect((await list(operator, { ...window, to: at.toISOString() })).items.map((item) => item.id)).not.toContain(rowOfA);

      for (let i = 0; i < 3; i++) {
        const refused = call('post', `/jobs/${randomUUID()}/retry`, venueAdmin);
        expect((await refused.response).status).toBe(404);
        await rowOf(refused.requestId);
      }
      const all = await list(venueAdmin, { limit: 100 });
      expect(all.total).toBeGreaterThan(3);
      const times = all.items.map((item) => (item as unknown as { occurredAt: string }).occurredAt);
      expect([...times].sort().reverse()).toEqual(times);
      const page = await list(venueAdmin, { limit: 2, offset: 1 });
      expect(page).toMatchObject({ limit: 2, offset: 1, total: all.total });
      expect(page.items.map((item) => item.id)).toEqual(all.items.slice(1, 3).map((item) => item.id));
    });

    it('names a bad filter in a 400', async () => {
      const response = await test.http().get('/audit').query({ action: 'Queue Pause', limit: 0 }).set(auth(venueAdmin));
      expect(response.status).toBe(400);
      expect(response.body.details.map((detail: { field: string }) => detail.field).sort()).toEqual(['action', 'limit']);
    });
  });

  describe('row-level security on audit_log', () => {
    it("lets a tenant's transaction read only that tenant's rows", async () => {
      const other = newTenant();
      const { response, requestId } = call('post', `/jobs/${randomUUID()}/retry`, tokenFor({ tenantId: other.tenantId, roles: ['venue_admin'], sub: 'other' }));
      expect((await response).status).toBe(404);
      await rowOf(requestId);
      const seen: { tenant_id: string }[] = await test.app.get(TenantScope).run(venue.tenantId, (manager) => manager.query(`SELECT tenant_id FROM audit_log`));
      expect(seen.length).toBeGreaterThan(0);
      expect(new Set(seen.map((row) => row.tenant_id))).toEqual(new Set([venue.tenantId]));
    });

    it("refuses a row written under another tenant's id", async () => {
      const write = test.app.get(TenantScope).run(venue.tenantId, (manager) =>
        manager.query(`INSERT INTO audit_log (tenant_id, actor, roles, action, outcome) VALUES ($1, 'x', '{}', 'forged', 'succeeded')`, [randomUUID()]));
      await expect(write).rejects.toThrow(/row-level security/);
    });
  });

  describe('append-only', () => {
    const scope = () => test.app.get(TenantScope);
    let entry: AuditRow;

    beforeAll(async () => {
      const { requestId, response } = call('post', '/queues/nosuch/clear', operator);
      await response;
      entry = await rowOf(requestId);
    });

    it.each([
      ['UPDATE', `UPDATE audit_log SET outcome = 'succeeded', actor = 'someone-else'`],
      ['DELETE', `DELETE FROM audit_log`],
    ])("refuses %s in a tenant's transaction (the service's queue_tenant role)", async (_verb, sql) => {
      await expect(scope().run(operatorHome, (manager) => manager.query(sql))).rejects.toThrow(/permission denied|append-only/);
    });

    it.each([
      ['UPDATE', `UPDATE audit_log SET outcome = 'succeeded', actor = 'someone-else'`],
      ['DELETE', `DELETE FROM audit_log`],
      ['TRUNCATE', `TRUNCATE audit_log`],
    ])("refuses %s on the service's own connection (the table's owner, here a superuser)", async (_verb, sql) => {
      await expect(scope().system((manager) => manager.query(sql))).rejects.toThrow(/append-only/);
    });

    it('refuses UPDATE and DELETE as queue_system too', async () => {
      for (const sql of [`UPDATE audit_log SET actor = 'x'`, `DELETE FROM audit_log`]) {
        const attempt = scope().system(async (manager) => {
          await manager.query(`SELECT set_config('role', 'queue_system', true)`);
          return manager.query(sql);
        });
        await expect(attempt).rejects.toThrow(/permission denied|append-only/);
      }
    });

    it('left the row as it was written', async () => {
      const [now] = await test.app.get(DataSource).query(`SELECT * FROM audit_log WHERE id = $1`, [entry.id]);
      expect(now).toEqual(entry);
    });
  });
});
