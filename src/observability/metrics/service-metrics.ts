import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: from a quick no-op job to a slow Solana confirmation. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Seconds: waits range up to the long backlogs an alert should see. */
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every metric of the service (names fixed by the dashboard and alert rules: see README),
 * in a registry of this app's own rather than prom-client's global one: each app instance
 * (several run in one test process) exposes only what it saw. Labels take bounded values
 * only: queues, types, error types, currencies, providers, outcomes, route templates —
 * never a job, tenant or user id.
 */
@Injectable()
export class ServiceMetrics {
  readonly registry = new Registry();

  readonly jobsCompleted = new Counter({
    name: 'queue_jobs_completed_total',
    help: 'Jobs completed, by queue and type',
    labelNames: ['queue', 'type'] as const,
    registers: [this.registry],
  });
  readonly jobsFailed = new Counter({
    name: 'queue_jobs_failed_total',
    help: 'Failed job attempts, by queue, type and error type; final="true" when no attempt follows',
    labelNames: ['queue', 'type', 'error_type', 'final'] as const,
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'queue_job_duration_seconds',
    help: 'How long one attempt of a job ran, by queue and type',
    labelNames: ['queue', 'type'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly jobWait = new Histogram({
    name: 'queue_job_wait_seconds',
    help: 'From the time a job was due (enqueued, plus its delay) to the start of its first attempt',
    labelNames: ['queue', 'type'] as const,
    buckets: WAIT_BUCKETS,
    registers: [this.registry],
  });
  readonly queueJobs = new Gauge({
    name: 'queue_jobs',
    help: 'Jobs in each queue by state, sampled every METRICS_SAMPLE_INTERVAL_MS',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });
  readonly oldestWaiting = new Gauge({
    name: 'queue_oldest_waiting_seconds',
    help: 'Age of the oldest waiting job of each queue (0 when none waits), sampled',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  readonly dlqEntries = new Gauge({
    name: 'queue_dlq_entries',
    help: 'Dead-letter entries of every tenant, by queue, sampled',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  readonly payments = new Counter({
    name: 'queue_payments_total',
    help: 'Payments that succeeded or failed for good, by currency',
    labelNames: ['currency', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly paymentAmount = new Counter({
    name: 'queue_payment_amount_minor_total',
    help: 'Amount of succeeded payments in the currency minor unit (cents)',
    labelNames: ['currency'] as const,
    registers: [this.registry],
  });
  readonly refunds = new Counter({
    name: 'queue_refunds_total',
    help: 'Refunds that succeeded or failed for good, by currency',
    labelNames: ['currency', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly refundAmount = new Counter({
    name: 'queue_refund_amount_minor_total',
    help: 'Amount of succeeded refunds in the currency minor unit (cents)',
    labelNames: ['currency'] as const,
    registers: [this.registry],
  });
  readonly nftMints = outcomeCounter(this.registry, 'queue_nft_mints_total', 'NFT mints');
  readonly emails = outcomeCounter(this.registry, 'queue_emails_total', 'E-mails');
  readonly sms = outcomeCounter(this.registry, 'queue_sms_total', 'SMS messages');
  readonly webhookDeliveries = outcomeCounter(this.registry, 'queue_webhook_deliveries_total', 'Webhook deliveries');
  readonly providerTokenWaits = new Counter({
    name: 'queue_provider_token_waits_total',
    help: "Jobs deferred for want of a token from the provider's bucket (this process)",
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  readonly circuitBreakerState = new Gauge({
    name: 'queue_circuit_breaker_state',
    help: "The provider's circuit breaker in this process: 0 closed, 1 half-open, 2 open",
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  readonly emergencyStop = new Gauge({
    name: 'queue_emergency_stop',
    help: '1 while the emergency stop holds every worker, else 0 (sampled)',
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly requestsShed = new Counter({
    name: 'http_requests_shed_total',
    help: 'HTTP requests refused with 503 before their body was read: too many request bytes in flight',
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request durations, by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    dropGaugesWithTotalSuffix(this.registry);
  }

  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * prom-client serves three of its default gauges twice, as `nodejs_active_handles` and as
 * `nodejs_active_handles_total` (likewise requests and resources); `promtool check metrics`
 * rejects the second form (only counters end in `_total`), so only the first is served.
 */
const GAUGES_WITH_TOTAL_SUFFIX = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

function dropGaugesWithTotalSuffix(registry: Registry): void {
  for (const name of GAUGES_WITH_TOTAL_SUFFIX) registry.removeSingleMetric(name);
}

function outcomeCounter(registry: Registry, name: string, what: string): Counter<'outcome'> {
  return new Counter({
    name,
    help: `${what} that succeeded or failed for good`,
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
}
