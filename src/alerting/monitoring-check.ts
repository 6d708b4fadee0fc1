import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { TenantScope } from '../database/tenant-scope';
import { OutboxRelay } from '../jobs/outbox-relay';
import { AlertRecords } from '../monitoring/alert-records';
import { AlertDeliveries } from './alert-deliveries';
import { FiringCondition, MonitoringConditions } from './monitoring-conditions';
import { LastCheck, MonitoringSwitch } from './monitoring-switch';

export type CheckOutcome = ({ skipped: false } & LastCheck) | { skipped: true };

/**
 * One monitoring check: every condition that fires raises an alert, unless that condition
 * already has an open alert, or had one raised within its cooldown (then that alert is seen
 * again, and reopened if it had resolved, and nobody is told twice). An open alert whose
 * condition no longer fires is resolved; one whose condition could not be read stays as it is.
 * Each condition is decided under a lock of its own, so two checks at once (two processes) raise
 * one alert.
 */
@Injectable()
export class MonitoringCheck {
  private readonly logger = new Logger(MonitoringCheck.name);

  constructor(
    private readonly config: AppConfig,
    private readonly scope: TenantScope,
    private readonly conditions: MonitoringConditions,
    private readonly records: AlertRecords,
    private readonly deliveries: AlertDeliveries,
    private readonly relay: OutboxRelay,
    private readonly monitoringSwitch: MonitoringSwitch,
  ) {}

  /** What the scheduled check runs: nothing while monitoring is stopped. */
  async runUnlessStopped(): Promise<CheckOutcome> {
    if (await this.monitoringSwitch.stopped()) return { skipped: true };
    return { skipped: false, ...(await this.run()) };
  }

  async run(now = new Date()): Promise<LastCheck> {
    const { firing, undetermined } = await this.conditions.read(now);
    const raised: string[] = [];
    for (const condition of firing) {
      if (await this.raiseOrSee(condition, now)) raised.push(condition.key);
    }
    const firingKeys = new Set(firing.map((condition) => condition.key));
    const unknown = new Set(undetermined);
    const resolved: string[] = [];
    for (const open of await this.records.openConditions()) {
      const key = open.conditionKey;
      if (key && !firingKeys.has(key) && !unknown.has(key) && (await this.resolve(key, now))) resolved.push(key);
    }
    if (raised.length) this.relay.wake();
    const check: LastCheck = { at: now.toISOString(), firing: [...firingKeys], raised, resolved };
    await this.monitoringSwitch.recordCheck(check);
    if (raised.length || resolved.length) this.logger.log({ raised, resolved }, 'Monitoring check changed alerts');
    return check;
  }

  /** Answers whether a new alert was raised. */
  private raiseOrSee(condition: FiringCondition, now: Date): Promise<boolean> {
    return this.scope.system(async (manager) => {
      const latest = await this.records.lockLatestOfConditionIn(manager, condition.key);
      const cooldownMs = this.config.monitoring.cooldownSeconds * 1000;
      if (latest && (latest.resolvedAt === null || now.getTime() - latest.createdAt.getTime() < cooldownMs)) {
        await this.records.markSeenIn(manager, latest.id, now);
        return false;
      }
      const alert = {
        tenantId: condition.tenantId, severity: condition.severity, kind: condition.kind, queue: condition.queue ?? null,
        message: condition.message, details: condition.details, conditionKey: condition.key, lastSeenAt: now,
      };
      const id = await this.records.insertIn(manager, alert);
      await this.deliveries.recordIn(manager, { ...alert, id, createdAt: now });
      return true;
    });
  }

  private resolve(conditionKey: string, now: Date): Promise<boolean> {
    return this.scope.system(async (manager) => {
      const latest = await this.records.lockLatestOfConditionIn(manager, conditionKey);
      if (!latest || latest.resolvedAt !== null) return false;
      await this.records.markResolvedIn(manager, latest.id, now);
      return true;
    });
  }
}
