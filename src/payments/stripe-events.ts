import { Injectable } from '@nestjs/common';
import { TenantScope } from '../database/tenant-scope';
import { AlertsService, NewAlert } from '../monitoring/alerts.service';
import { StripeEventOutcome, StripeEventRecord } from './stripe-event.entity';

export interface NewStripeEvent {
  id: string;
  type: string;
  livemode: boolean;
  tenantId: string | null;
  jobId: string | null;
  paymentIntentId: string | null;
  payload: Record<string, unknown>;
  /** Set for an event stored only for the record: it is settled as `ignored` at once. */
  ignoredBecause: string | null;
}

export type StoredStripeEvent = Pick<StripeEventRecord, 'id' | 'tenantId' | 'outcome' | 'processedAt'>;

/** Every read and write of `stripe_events`. */
@Injectable()
export class StripeEvents {
  constructor(
    private readonly scope: TenantScope,
    private readonly alerts: AlertsService,
  ) {}

  /**
   * Stores an event unless its id is already stored (Stripe redelivers, and retries what was
   * not answered 2xx). Runs under the system role: the tenant is known only from the body.
   * Answers the row as it now stands, and whether this call stored it.
   */
  recordOnce(event: NewStripeEvent): Promise<{ stored: boolean; row: StoredStripeEvent }> {
    return this.scope.system(async (manager) => {
      const ignored = event.ignoredBecause !== null;
      const inserted: StoredStripeEvent[] = await manager.query(
        `INSERT INTO stripe_events (id, type, livemode, tenant_id, job_id, payment_intent_id, payload, outcome, outcome_detail, processed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $10::boolean THEN now() END)
         ON CONFLICT (id) DO NOTHING
         RETURNING id, tenant_id AS "tenantId", outcome, processed_at AS "processedAt"`,
        [
          event.id, event.type, event.livemode, event.tenantId, event.jobId, event.paymentIntentId, event.payload,
          ignored ? 'ignored' : 'pending', event.ignoredBecause, ignored,
        ],
      );
      if (inserted.length) return { stored: true, row: inserted[0] };
      const existing = await manager.findOneOrFail(StripeEventRecord, {
        where: { id: event.id },
        select: { id: true, tenantId: true, outcome: true, processedAt: true },
      });
      return { stored: false, row: existing };
    });
  }

  /** A tenant's event (RLS: another tenant's, or one without a tenant, is not found). */
  find(tenantId: string, id: string): Promise<StripeEventRecord | null> {
    return this.scope.run(tenantId, (manager) => manager.findOneBy(StripeEventRecord, { id }));
  }

  /**
   * Records the reconciliation outcome, and raises its alert in the same transaction, only if
   * the event is not settled yet: of two runs (a re-run, a concurrent delivery) one settles and
   * alerts, the other finds it settled and changes nothing. Answers whether this call settled it.
   */
  settle(tenantId: string, id: string, outcome: StripeEventOutcome, detail: string, alert?: NewAlert): Promise<boolean> {
    return this.scope.run(tenantId, async (manager) => {
      const [rows] = (await manager.query(
        `UPDATE stripe_events SET outcome = $2, outcome_detail = $3, processed_at = now()
         WHERE id = $1 AND processed_at IS NULL
         RETURNING id`,
        [id, outcome, detail],
      )) as [unknown[], number];
      if (rows.length === 0) return false;
      if (alert) await this.alerts.raiseIn(manager, alert);
      return true;
    });
  }
}
