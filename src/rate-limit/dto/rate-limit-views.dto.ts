import { ApiProperty } from '@nestjs/swagger';
import { PROVIDERS, ProviderName } from '../../job-definitions/provider-names';

export class BreakerView {
  @ApiProperty({ enum: ['closed', 'open', 'half-open'] })
  state: 'closed' | 'open' | 'half-open';

  @ApiProperty({ description: 'Milliseconds until an open breaker lets a probe through; 0 when closed' })
  retryAfterMs: number;

  @ApiProperty({ description: 'Failed calls in the rolling window' }) failures: number;
  @ApiProperty({ description: 'Successful calls in the rolling window' }) successes: number;
  @ApiProperty({ description: 'Calls rejected while open, in the rolling window' }) rejects: number;
}

export class WorkerCounts {
  @ApiProperty({ description: 'Worker processes that have paused their queues' }) paused: number;
  @ApiProperty({ description: 'Worker processes taking jobs' }) running: number;
}

export class EmergencyStopView {
  @ApiProperty() stopped: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'admin-1' }) stoppedBy: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) stoppedAt: string | null;

  @ApiProperty({ type: WorkerCounts, description: 'Worker processes that reported in the last few polls' })
  workers: WorkerCounts;
}

export class EmergencyStopChangeView extends EmergencyStopView {
  @ApiProperty({ description: 'Worker processes that received the broadcast; others catch up by polling within seconds' })
  notifiedWorkers: number;

  @ApiProperty({
    enum: ['applied', 'pending'],
    description:
      'applied: every worker process seen has confirmed the change (after a stop, none takes a new job); ' +
      'pending: some had not confirmed within EMERGENCY_STOP_ACK_TIMEOUT_MS (listed in pendingWorkers); they catch up by polling',
  })
  status: 'applied' | 'pending';

  @ApiProperty({ type: [String], description: 'Worker processes (host:pid:instance) that confirmed the change', example: ['worker-1:42:9f86d081'] })
  acknowledged: string[];

  @ApiProperty({ type: [String], description: 'Worker processes (host:pid:instance) that had not confirmed when the answer was given' })
  pendingWorkers: string[];
}

export class ProviderRateLimitView {
  @ApiProperty({ enum: PROVIDERS }) provider: ProviderName;
  @ApiProperty({ description: 'Bucket size: the largest burst' }) capacity: number;
  @ApiProperty({ description: 'Tokens added per second' }) refillPerSecond: number;
  @ApiProperty({ description: 'Whole tokens available now' }) remaining: number;
  @ApiProperty({ description: 'Milliseconds until the next token; 0 when one is available' }) waitMs: number;
  @ApiProperty({ description: 'False: calls to this provider are not limited' }) enabled: boolean;

  @ApiProperty({ type: BreakerView, description: 'The circuit breaker of the process that answered (breakers are per process)' })
  breaker: BreakerView;

  @ApiProperty({ type: EmergencyStopView })
  emergencyStop: EmergencyStopView;
}
