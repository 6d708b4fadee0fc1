import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { AppConfig } from '../config/app-config';
import { AttemptRef, JobAttempts } from '../persistence/job-attempts';

export interface HeldLease {
  stop(): void;
}

/**
 * Renews a running attempt's lease while this worker still holds Bull's lock on the job.
 * Once the lock is lost (stalled, event loop blocked) renewal stops, the lease runs out and a
 * newer attempt may claim the job; this attempt's fenced writes then fail.
 */
@Injectable()
export class LeaseKeeper {
  private readonly logger = new Logger(LeaseKeeper.name);

  constructor(
    private readonly config: AppConfig,
    private readonly attempts: JobAttempts,
  ) {}

  keep(job: Job, ref: AttemptRef): HeldLease {
    let stopped = false;
    const timer = setInterval(() => {
      void this.renew(job, ref).then((held) => {
        if (!held) {
          stopped = true;
          clearInterval(timer);
        }
      });
    }, Math.max(50, Math.floor(this.config.jobLeaseMs / 3)));
    timer.unref();
    return {
      stop: () => {
        if (!stopped) clearInterval(timer);
        stopped = true;
      },
    };
  }

  private async renew(job: Job, ref: AttemptRef): Promise<boolean> {
    try {
      const lockHolder = await job.queue.client.get(job.lockKey());
      if (lockHolder !== (job.queue as unknown as { token: string }).token) return false;
      return await this.attempts.renewLease(ref);
    } catch (error) {
      this.logger.warn({ err: error, jobId: ref.jobId }, 'Could not renew the lease; will try again');
      return true;
    }
  }
}
