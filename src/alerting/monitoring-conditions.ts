import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { Job } from 'bull';
import { AppConfig } from '../config/app-config';
import { DeadLetterRepository } from '../dead-letters/dead-letter.repository';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import { PROVIDERS } from '../job-definitions/provider-names';
import type { QueueName } from '../job-definitions/queue-names';
import type { AlertSeverity } from '../monitoring/alert-record.entity';
import { QueueRegistry } from '../queue-store/queue-registry';
import { CircuitBreakers } from '../rate-limit/circuit-breakers';
import { EmergencyStop } from '../rate-limit/emergency-stop';
import { PAYER_BALANCE_KEY, payerBalanceCondition, PayerBalanceSource } from './payer-balance-source';

/** One threshold found crossed by a check. `key` names it across checks (its alert's condition_key). */
export interface FiringCondition {
  key: string;
  /** Null: service-wide, for operators only. */
  tenantId: string | null;
  severity: AlertSeverity;
  kind: string;
  queue?: string;
  message: string;
  details: Record<string, unknown>;
}

/** What one check found: the conditions crossed, and those it could not read (their open alerts stay as they are). */
export interface ConditionsReading {
  firing: FiringCondition[];
  undetermined: string[];
}

/** Finished jobs read per queue for the failure rate: bounded work at any volume. */
const RECENT_FINISHED = 1_000;
/** Waiting jobs looked at for the oldest one (Bull lists are newest first by priority). */
const WAITING_LOOKAHEAD = 200;

/**
 * Reads the current state of every queue, breaker, the emergency stop, the DLQ and, when Solana
 * is live, the payer's balance, and answers the thresholds (config.monitoring) it crosses. It
 * decides nothing about alerts.
 */
@Injectable()
export class MonitoringConditions {
  private readonly logger = new Logger(MonitoringConditions.name);

  constructor(
    private readonly config: AppConfig,
    private readonly queues: QueueRegistry,
    private readonly deadLetters: DeadLetterRepository,
    private readonly breakers: CircuitBreakers,
    private readonly emergencyStop: EmergencyStop,
    // Provided by nft/ (global) when Solana is live; null or absent otherwise.
    @Optional() @Inject(PayerBalanceSource) private readonly payerBalance: PayerBalanceSource | null = null,
  ) {}

  /** Whether the payer balance is one of the conditions (Solana live). */
  get checksPayerBalance(): boolean {
    return this.payerBalance !== null;
  }

  async read(now = new Date()): Promise<ConditionsReading> {
    const [perQueue, growth, stop, payer] = await Promise.all([
      Promise.all(this.queues.all().map(({ name }) => this.queueConditions(name, now))),
      this.deadLetterGrowth(now),
      this.emergencyStopLeftOn(now),
      this.payerBalanceLow(),
    ]);
    return {
      firing: [...perQueue.flat(), ...growth, ...this.openBreakers(), ...stop, ...(payer.condition ? [payer.condition] : [])],
      undetermined: payer.undetermined ? [PAYER_BALANCE_KEY] : [],
    };
  }

  /** An RPC failure leaves the balance unknown: neither raised nor resolved by this check. */
  private async payerBalanceLow(): Promise<{ condition: FiringCondition | null; undetermined: boolean }> {
    if (!this.payerBalance) return { condition: null, undetermined: false };
    try {
      return { condition: payerBalanceCondition(await this.payerBalance.read()), undetermined: false };
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not read the Solana payer balance');
      return { condition: null, undetermined: true };
    }
  }

  private async queueConditions(name: QueueName, now: Date): Promise<FiringCondition[]> {
    const limits = this.config.monitoring;
    const queue = this.queues.get(name);
    const [counts, next, stalled, finished] = await Promise.all([
      queue.getJobCounts() as Promise<Partial<Record<'waiting' | 'paused' | 'delayed' | 'active', number>>>,
      queue.getJobs(['waiting', 'paused'], 0, WAITING_LOOKAHEAD - 1, true),
      this.stalledJobs(name),
      this.finishedSince(name, now.getTime() - limits.failureWindowMinutes * 60_000),
    ]);
    const firing: FiringCondition[] = [];
    const depth = (counts.waiting ?? 0) + (counts.paused ?? 0);
    if (depth > limits.queueDepthMax) {
      firing.push({
        key: `queue_depth:${name}`, tenantId: null, severity: 'warning', kind: 'monitoring.queue_depth', queue: name,
        message: `Queue ${name} has ${depth} jobs waiting (threshold ${limits.queueDepthMax})`,
        details: { depth, threshold: limits.queueDepthMax },
      });
    }
    const oldest = Math.min(...next.flatMap((job) => (job ? [job.timestamp] : [])));
    const ageSeconds = Number.isFinite(oldest) ? Math.floor((now.getTime() - oldest) / 1000) : 0;
    if (ageSeconds > limits.oldestWaitingMaxSeconds) {
      firing.push({
        key: `oldest_waiting:${name}`, tenantId: null, severity: 'warning', kind: 'monitoring.oldest_waiting', queue: name,
        message: `The oldest waiting job of queue ${name} has waited ${ageSeconds} s (threshold ${limits.oldestWaitingMaxSeconds} s)`,
        details: { ageSeconds, threshold: limits.oldestWaitingMaxSeconds },
      });
    }
    const { failed, total } = finished;
    const rate = total ? failed / total : 0;
    if (total >= limits.failureMinJobs && rate > limits.failureRateMax) {
      firing.push({
        key: `failure_rate:${name}`, tenantId: null, severity: 'critical', kind: 'monitoring.failure_rate', queue: name,
        message: `${Math.round(rate * 100)}% of queue ${name}'s jobs failed in the last ${limits.failureWindowMinutes} min (threshold ${Math.round(limits.failureRateMax * 100)}%)`,
        details: { failed, finished: total, rate: Math.round(rate * 1000) / 1000, threshold: limits.failureRateMax, windowMinutes: limits.failureWindowMinutes },
      });
    }
    if (stalled >= limits.stalledMax) {
      firing.push({
        key: `stalled:${name}`, tenantId: null, severity: 'warning', kind: 'monitoring.stalled_jobs', queue: name,
        message: `Queue ${name} has ${stalled} active jobs whose worker holds no lock (threshold ${limits.stalledMax})`,
        details: { stalled, threshold: limits.stalledMax },
      });
    }
    return firing;
  }

  /** How many jobs finished since `since`, and how many of them failed for good (Bull's sorted sets, newest first). */
  private async finishedSince(name: QueueName, since: number): Promise<{ failed: number; total: number }> {
    const queue = this.queues.get(name);
    const [completed, failed] = await Promise.all([
      queue.getJobs(['completed'], 0, RECENT_FINISHED - 1, false),
      queue.getJobs(['failed'], 0, RECENT_FINISHED - 1, false),
    ]);
    const recent = (jobs: (Job<JobEnvelope> | null)[]) => jobs.filter((job) => Boolean(job?.finishedOn && job.finishedOn >= since)).length;
    const failedCount = recent(failed);
    return { failed: failedCount, total: failedCount + recent(completed) };
  }

  /** Active jobs whose lock has lapsed: their worker died or hangs, and Bull has not moved them back yet. */
  private async stalledJobs(name: QueueName): Promise<number> {
    const queue = this.queues.get(name);
    const active = await queue.getActive();
    const stalled = await Promise.all(active.map(async (job) => {
      if (!job || (await queue.client.exists(queue.toKey(`${job.id}:lock`))) === 1) return false;
      // A job that finished between the two reads lost its lock by completing: still active, it is stalled.
      return job.isActive();
    }));
    return stalled.filter(Boolean).length;
  }

  /** A tenant alert: its dead-letter entries grew by more than the threshold within the window. */
  private async deadLetterGrowth(now: Date): Promise<FiringCondition[]> {
    const { dlqGrowthMax, failureWindowMinutes } = this.config.monitoring;
    const since = new Date(now.getTime() - failureWindowMinutes * 60_000);
    const counts = await this.deadLetters.countCreatedSinceByTenant(since);
    return counts
      .filter(({ count }) => count > dlqGrowthMax)
      .map(({ key: tenantId, count }) => ({
        key: `dlq_growth:${tenantId}`, tenantId, severity: 'critical' as const, kind: 'monitoring.dlq_growth',
        message: `${count} jobs were dead-lettered in the last ${failureWindowMinutes} min (threshold ${dlqGrowthMax})`,
        details: { entries: count, threshold: dlqGrowthMax, windowMinutes: failureWindowMinutes },
      }));
  }

  /** This process's breakers (each process keeps its own; the check runs in one worker at a time). */
  private openBreakers(): FiringCondition[] {
    return PROVIDERS.map((provider) => this.breakers.getState(provider))
      .filter((status) => status.state === 'open')
      .map((status) => ({
        key: `breaker_open:${status.provider}`, tenantId: null, severity: 'critical' as const, kind: 'monitoring.breaker_open',
        message: `The circuit breaker of ${status.provider} is open: its calls are refused`,
        details: { provider: status.provider, failures: status.failures, retryAfterMs: status.retryAfterMs },
      }));
  }

  private async emergencyStopLeftOn(now: Date): Promise<FiringCondition[]> {
    const { emergencyStopMaxMinutes } = this.config.monitoring;
    const state = await this.emergencyStop.getState();
    if (!state.stopped) return [];
    const minutesOn = state.stoppedAt ? (now.getTime() - Date.parse(state.stoppedAt)) / 60_000 : Infinity;
    if (minutesOn < emergencyStopMaxMinutes) return [];
    return [{
      key: 'emergency_stop', tenantId: null, severity: 'warning', kind: 'monitoring.emergency_stop',
      message: `The emergency stop has been on for ${Math.floor(minutesOn)} min (threshold ${emergencyStopMaxMinutes} min)`,
      details: { stoppedBy: state.stoppedBy, stoppedAt: state.stoppedAt, threshold: emergencyStopMaxMinutes },
    }];
  }
}
