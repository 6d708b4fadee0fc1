import { ApiProperty } from '@nestjs/swagger';
import { QUEUE_NAMES, QueueName } from '../../job-definitions/queue-names';

export class MetricSampleView {
  @ApiProperty({ description: 'The sample name (a histogram has `_bucket`, `_sum` and `_count` samples)', example: 'queue_jobs_completed_total' })
  sample: string;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { queue: 'money', type: 'payment-process' } })
  labels: Record<string, string>;

  @ApiProperty({ type: Number, nullable: true, description: 'null when the value is not a finite number (NaN, ±Inf)' })
  value: number | null;
}

export class MetricFamilyView {
  @ApiProperty({ example: 'queue_jobs_completed_total' }) name: string;
  @ApiProperty() help: string;
  @ApiProperty({ enum: ['counter', 'gauge', 'histogram', 'summary'] }) type: string;
  @ApiProperty({ type: [MetricSampleView] }) samples: MetricSampleView[];
}

export class QueueStateCountsView {
  @ApiProperty() waiting: number;
  @ApiProperty() active: number;
  @ApiProperty() delayed: number;
  @ApiProperty() failed: number;
  @ApiProperty() completed: number;
  @ApiProperty() paused: number;
}

export class QueueStatsView {
  @ApiProperty({ enum: QUEUE_NAMES }) queue: QueueName;

  @ApiProperty({ type: QueueStateCountsView, description: 'Jobs by state, from the last sample' })
  counts: QueueStateCountsView;

  @ApiProperty({ description: 'Jobs completed per minute over the window' })
  throughputPerMinute: number;

  @ApiProperty({ type: Number, nullable: true, description: 'Median run time (ms) of the jobs completed in the window; null when none' })
  p50DurationMs: number | null;

  @ApiProperty({ type: Number, nullable: true, description: '95th percentile run time (ms) of the jobs completed in the window; null when none' })
  p95DurationMs: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'completed / (completed + failed for good) in the window, 0 to 1; null when none finished' })
  successRate: number | null;

  @ApiProperty({ description: 'Jobs completed in the window (of the most recent ones Redis keeps)' })
  completedInWindow: number;

  @ApiProperty({ description: 'Jobs failed for good in the window' })
  failedInWindow: number;
}

export class QueueStatsReport {
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the counts were sampled; null before the first sample' })
  sampledAt: string | null;

  @ApiProperty({ description: 'The window (minutes) throughput, durations and success rate cover' })
  windowMinutes: number;

  @ApiProperty({ type: [QueueStatsView] })
  queues: QueueStatsView[];
}

export class MemoryView {
  @ApiProperty({ description: 'Resident set size, bytes' }) rssBytes: number;
  @ApiProperty() heapUsedBytes: number;
  @ApiProperty() heapTotalBytes: number;
  @ApiProperty() externalBytes: number;
}

export class CpuView {
  @ApiProperty({ description: 'User CPU seconds since the process started' }) userSeconds: number;
  @ApiProperty({ description: 'System CPU seconds since the process started' }) systemSeconds: number;
  @ApiProperty({ description: 'Share of one core used since the previous call (or since start), percent' }) percent: number;
  @ApiProperty({ description: 'Cores of the machine' }) cores: number;
  @ApiProperty({ type: [Number], description: 'Load average over 1, 5 and 15 minutes' }) loadAverage: number[];
}

export class EventLoopLagView {
  @ApiProperty({ description: 'Mean event-loop delay, ms' }) meanMs: number;
  @ApiProperty({ description: '99th percentile event-loop delay, ms' }) p99Ms: number;
  @ApiProperty({ description: 'Largest event-loop delay seen, ms' }) maxMs: number;
}

export class SystemStatsView {
  @ApiProperty({ enum: ['all', 'api', 'worker'] }) role: string;
  @ApiProperty({ description: 'Process uptime, seconds' }) uptimeSeconds: number;
  @ApiProperty({ example: 'v20.19.0' }) nodeVersion: string;
  @ApiProperty() pid: number;
  @ApiProperty({ type: MemoryView }) memory: MemoryView;
  @ApiProperty({ type: CpuView }) cpu: CpuView;
  @ApiProperty({ type: EventLoopLagView }) eventLoopLag: EventLoopLagView;
}
