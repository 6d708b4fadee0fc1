import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { DeadLetterRepository } from '../../dead-letters/dead-letter.repository';
import { PROVIDERS } from '../../job-definitions/provider-names';
import { QUEUE_NAMES, QueueName } from '../../job-definitions/queue-names';
import { QueueRegistry } from '../../queue-store/queue-registry';
import { BreakerState, CircuitBreakers } from '../../rate-limit/circuit-breakers';
import { EmergencyStop } from '../../rate-limit/emergency-stop';
import { ProviderRateLimiter } from '../../rate-limit/provider-rate-limiter';
import { ServiceMetrics } from './service-metrics';

export const SAMPLED_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'paused'] as const;
export type SampledState = (typeof SAMPLED_STATES)[number];

export interface QueueSample {
  queue: QueueName;
  counts: Record<SampledState, number>;
  oldestWaitingSeconds: number;
}

const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };
/** The next jobs Bull hands out; with priorities the oldest is among them, not always the last. */
const OLDEST_WAITING_LOOKAHEAD = 20;

/**
 * Reads queue counts, the DLQ size and the emergency stop every METRICS_SAMPLE_INTERVAL_MS into
 * gauges, so that a scrape (or a queue-stats call) reads memory, whatever the backlog. The
 * in-process state (breakers, token refusals) is refreshed at each scrape as well, for free.
 */
@Injectable()
export class QueueSampler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(QueueSampler.name);
  private timer?: NodeJS.Timeout;
  private sampling?: Promise<void>;
  private latest = new Map<QueueName, QueueSample>();
  private sampledAt: Date | null = null;
  private failing = false;
  private readonly tokenWaitsSeen = new Map<string, number>();

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: ServiceMetrics,
    private readonly queues: QueueRegistry,
    private readonly deadLetters: DeadLetterRepository,
    private readonly emergencyStop: EmergencyStop,
    private readonly breakers: CircuitBreakers,
    private readonly limiter: ProviderRateLimiter,
  ) {}

  onApplicationBootstrap(): void {
    void this.sampleNow();
    this.timer = setInterval(() => void this.sampleNow(), this.config.observability.sampleIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }

  /** The last sample of each queue, and when it was taken (null before the first). */
  snapshot(): { sampledAt: Date | null; queues: QueueSample[] } {
    return { sampledAt: this.sampledAt, queues: QUEUE_NAMES.flatMap((name) => this.latest.get(name) ?? []) };
  }

  /** One sample at a time; a tick that finds the previous one still running skips. */
  sampleNow(): Promise<void> {
    this.sampling ??= this.sample().finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  /** Breakers and token refusals live in this process: read at every scrape. */
  refreshInProcess(): void {
    for (const provider of PROVIDERS) {
      this.metrics.circuitBreakerState.set({ provider }, BREAKER_STATE_VALUE[this.breakers.getState(provider).state]);
      const refused = this.limiter.refusedSoFar(provider);
      const added = refused - (this.tokenWaitsSeen.get(provider) ?? 0);
      this.metrics.providerTokenWaits.inc({ provider }, Math.max(0, added));
      this.tokenWaitsSeen.set(provider, refused);
    }
  }

  private async sample(): Promise<void> {
    this.refreshInProcess();
    try {
      const [samples, dlq, stopped] = await Promise.all([
        Promise.all(this.queues.all().map(({ name }) => this.sampleQueue(name))),
        this.deadLetters.countByQueueOfAllTenants(),
        this.emergencyStop.isStopped(),
      ]);
      for (const sample of samples) {
        for (const state of SAMPLED_STATES) this.metrics.queueJobs.set({ queue: sample.queue, state }, sample.counts[state]);
        this.metrics.oldestWaiting.set({ queue: sample.queue }, sample.oldestWaitingSeconds);
        this.latest.set(sample.queue, sample);
        this.metrics.dlqEntries.set({ queue: sample.queue }, dlq.find((group) => group.key === sample.queue)?.count ?? 0);
      }
      this.metrics.emergencyStop.set(stopped ? 1 : 0);
      this.sampledAt = new Date();
      if (this.failing) this.logger.log('Queue sampling works again');
      this.failing = false;
    } catch (error) {
      // The gauges keep their last values; the health probe says which store is down.
      if (!this.failing) this.logger.warn({ err: error }, 'Could not sample the queues; metrics keep their last values');
      this.failing = true;
    }
  }

  private async sampleQueue(name: QueueName): Promise<QueueSample> {
    const queue = this.queues.get(name);
    const [counts, next] = await Promise.all([
      queue.getJobCounts() as Promise<Partial<Record<SampledState, number>>>,
      queue.getJobs(['waiting', 'paused'], 0, OLDEST_WAITING_LOOKAHEAD - 1, true),
    ]);
    const oldest = Math.min(...next.flatMap((job) => (job ? [job.timestamp] : [])));
    return {
      queue: name,
      counts: Object.fromEntries(SAMPLED_STATES.map((state) => [state, counts[state] ?? 0])) as Record<SampledState, number>,
      oldestWaitingSeconds: Number.isFinite(oldest) ? Math.max(0, (Date.now() - oldest) / 1000) : 0,
    };
  }
}
