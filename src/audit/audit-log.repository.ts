import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Role } from '../common/auth/auth-user';
import { TenantScope } from '../database/tenant-scope';
import type { AuditDetails, AuditEntry, AuditFilter, AuditOutcome, AuditReader, NewAuditEntry } from './audit-entry';

interface AuditRow {
  id: string;
  tenant_id: string;
  actor: string;
  roles: Role[];
  action: string;
  target: string | null;
  request_id: string | null;
  outcome: AuditOutcome;
  status_code: number | null;
  details: AuditDetails;
  occurred_at: Date;
  total?: string;
}

/**
 * The `audit_log` table (migration 008), append-only: this class only inserts and reads.
 * A row is written under its own tenant (row-level security checks it); an operator's read of
 * every tenant runs as `queue_system`, so the table's GRANTs bind it too.
 */
@Injectable()
export class AuditLog {
  constructor(private readonly scope: TenantScope) {}

  async insert(entry: NewAuditEntry): Promise<void> {
    await this.scope.run(entry.tenantId, (manager) =>
      manager.query(
        `INSERT INTO audit_log (tenant_id, actor, roles, action, target, request_id, outcome, status_code, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          entry.tenantId,
          entry.actor,
          entry.roles,
          entry.action,
          entry.target,
          entry.requestId,
          entry.outcome,
          entry.statusCode,
          JSON.stringify(entry.details),
        ],
      ),
    );
  }

  list(reader: AuditReader, filter: AuditFilter): Promise<{ items: AuditEntry[]; total: number }> {
    const conditions: string[] = [];
    const values: unknown[] = [];
    const where = (condition: (placeholder: string) => string, value: unknown) => {
      values.push(value);
      conditions.push(condition(`$${values.length}`));
    };
    // Row-level security already limits a venue admin to its tenant; the filter says so as well.
    if (reader !== 'all') where((p) => `tenant_id = ${p}`, reader.tenantId);
    if (filter.actor !== undefined) where((p) => `actor = ${p}`, filter.actor);
    if (filter.action !== undefined) where((p) => `action = ${p}`, filter.action);
    if (filter.target !== undefined) where((p) => `target = ${p}`, filter.target);
    if (filter.from) where((p) => `occurred_at >= ${p}`, filter.from);
    if (filter.to) where((p) => `occurred_at < ${p}`, filter.to);
    values.push(filter.limit, filter.offset);
    const sql = `
      SELECT *, count(*) OVER () AS total FROM audit_log
      ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
      ORDER BY occurred_at DESC, id DESC
      LIMIT $${values.length - 1} OFFSET $${values.length}`;
    return this.read(reader, async (manager) => {
      const rows: AuditRow[] = await manager.query(sql, values);
      const total = rows.length ? Number(rows[0].total) : await this.countIn(manager, conditions, values.slice(0, -2));
      return { items: rows.map(entryOf), total };
    });
  }

  private async countIn(manager: EntityManager, conditions: string[], values: unknown[]): Promise<number> {
    const [row] = (await manager.query(
      `SELECT count(*) AS total FROM audit_log ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}`,
      values,
    )) as { total: string }[];
    return Number(row.total);
  }

  private read<T>(reader: AuditReader, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (reader !== 'all') return this.scope.run(reader.tenantId, work);
    return this.scope.system(async (manager) => {
      await manager.query(`SELECT set_config('role', 'queue_system', true)`);
      return work(manager);
    });
  }
}

function entryOf(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    actor: row.actor,
    roles: row.roles,
    action: row.action,
    target: row.target,
    requestId: row.request_id,
    outcome: row.outcome,
    statusCode: row.status_code,
    details: row.details,
    occurredAt: row.occurred_at,
  };
}
