import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { Counter } from 'prom-client';
import { JOB_EVENTS, JobCompletedEvent, JobEventBase, JobFailedEvent } from '../../job-definitions/job-events';
import type { JobType } from '../../job-definitions/job-types';
import { ServiceMetrics } from './service-metrics';

type Outcome = 'succeeded' | 'failed';

/**
 * ISO 4217 shape; anything else is counted under `other`, and a refund whose gateway does not
 * report its currency under `unknown`, so a label never carries free text.
 */
const CURRENCY = /^[a-z]{3}$/;

/**
 * Feeds the job metrics from the JobRunner's lifecycle events (after the fact: a listener
 * cannot change a job). Domain counters count outcomes, not attempts: a success, or a failure
 * after which no attempt follows.
 */
@Injectable()
export class JobMetricsListener {
  constructor(private readonly metrics: ServiceMetrics) {}

  @OnEvent(JOB_EVENTS.completed)
  onCompleted(event: JobCompletedEvent): void {
    const labels = { queue: event.queue, type: event.type };
    this.metrics.jobsCompleted.inc(labels);
    this.metrics.jobDuration.observe(labels, event.durationMs / 1000);
    this.observeWait(event, event.durationMs);
    this.countOutcome(event, 'succeeded', event.result as Record<string, unknown>);
  }

  @OnEvent(JOB_EVENTS.failed)
  onFailed(event: JobFailedEvent): void {
    const labels = { queue: event.queue, type: event.type };
    this.metrics.jobsFailed.inc({ ...labels, error_type: event.error.type, final: String(event.final) });
    this.metrics.jobDuration.observe(labels, event.durationMs / 1000);
    this.observeWait(event, event.durationMs);
    if (event.final && !event.cancelled) this.countOutcome(event, 'failed', {});
  }

  /** Once per job: at the end of its first attempt, from the time it was due to the attempt's start. */
  private observeWait(event: JobEventBase, durationMs: number): void {
    if (event.attempt !== 1 || event.dueAt === undefined) return;
    const startedAt = Date.now() - durationMs;
    this.metrics.jobWait.observe({ queue: event.queue, type: event.type }, Math.max(0, startedAt - event.dueAt) / 1000);
  }

  private countOutcome(event: JobEventBase, outcome: Outcome, result: Record<string, unknown>): void {
    const byType: Partial<Record<JobType, Counter<'outcome'>>> = {
      'nft-mint': this.metrics.nftMints,
      'email-send': this.metrics.emails,
      'sms-send': this.metrics.sms,
      'webhook-deliver': this.metrics.webhookDeliveries,
    };
    byType[event.type]?.inc({ outcome });
    // What the provider reports wins over what was asked for (a refund of "the whole payment").
    const facts = { ...event.data, ...result };
    if (event.type === 'payment-process') this.countMoney(facts, outcome, this.metrics.payments, this.metrics.paymentAmount);
    if (event.type === 'refund-process') this.countMoney(facts, outcome, this.metrics.refunds, this.metrics.refundAmount);
  }

  private countMoney(
    facts: Record<string, unknown>,
    outcome: Outcome,
    count: Counter<'currency' | 'outcome'>,
    amount: Counter<'currency'>,
  ): void {
    const raw = typeof facts.currency === 'string' ? facts.currency.toLowerCase() : undefined;
    const currency = raw === undefined ? 'unknown' : CURRENCY.test(raw) ? raw : 'other';
    count.inc({ currency, outcome });
    const minor = facts.amount;
    if (outcome === 'succeeded' && typeof minor === 'number' && Number.isSafeInteger(minor) && minor > 0) {
      amount.inc({ currency }, minor);
    }
  }
}
