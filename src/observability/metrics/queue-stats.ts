import { Injectable } from '@nestjs/common';
import type { Job } from 'bull';
import type { JobEnvelope } from '../../job-definitions/job-envelope';
import { QUEUE_NAMES, QueueName } from '../../job-definitions/queue-names';
import { QueueRegistry } from '../../queue-store/queue-registry';
import type { QueueStatsReport, QueueStatsView } from '../dto/metrics-views.dto';
import { QueueSampler, SAMPLED_STATES, SampledState } from './queue-sampler';

export const QUEUE_STATS_WINDOW_MINUTES = 15;
/** Finished jobs read per queue and outcome: bounded work for an admin call at any volume. */
const RECENT_JOBS = 500;

/**
 * Per-queue statistics for operators: counts from the sampler; throughput, run times and the
 * success rate from the most recent finished jobs Redis keeps (every process's work, newest
 * first), within the window.
 */
@Injectable()
export class QueueStats {
  constructor(
    private readonly queues: QueueRegistry,
    private readonly sampler: QueueSampler,
  ) {}

  async report(): Promise<QueueStatsReport> {
    const { sampledAt, queues: samples } = this.sampler.snapshot();
    const since = Date.now() - QUEUE_STATS_WINDOW_MINUTES * 60_000;
    const queues = await Promise.all(
      QUEUE_NAMES.map(async (name): Promise<QueueStatsView> => {
        const counts = samples.find((sample) => sample.queue === name)?.counts ?? zeroCounts();
        const [completed, failed] = await Promise.all([this.finishedSince(name, 'completed', since), this.finishedSince(name, 'failed', since)]);
        const durations = completed.map((job) => (job.finishedOn ?? 0) - (job.processedOn ?? 0)).sort((a, b) => a - b);
        const finished = completed.length + failed.length;
        return {
          queue: name,
          counts,
          throughputPerMinute: round(completed.length / QUEUE_STATS_WINDOW_MINUTES),
          p50DurationMs: percentile(durations, 0.5),
          p95DurationMs: percentile(durations, 0.95),
          successRate: finished ? round(completed.length / finished) : null,
          completedInWindow: completed.length,
          failedInWindow: failed.length,
        };
      }),
    );
    return { sampledAt: sampledAt?.toISOString() ?? null, windowMinutes: QUEUE_STATS_WINDOW_MINUTES, queues };
  }

  private async finishedSince(name: QueueName, state: 'completed' | 'failed', since: number): Promise<Job<JobEnvelope>[]> {
    // Bull keeps finished jobs in sorted sets scored by when they finished; newest first.
    const jobs = await this.queues.get(name).getJobs([state], 0, RECENT_JOBS - 1, false);
    return jobs.filter((job): job is Job<JobEnvelope> => Boolean(job?.finishedOn && job.processedOn && job.finishedOn >= since));
  }
}

function zeroCounts(): Record<SampledState, number> {
  return Object.fromEntries(SAMPLED_STATES.map((state) => [state, 0])) as Record<SampledState, number>;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], share: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))];
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
