import type { JobOptions } from 'bull';
import type { AppConfig } from '../config/app-config';
import { JOB_BACKOFF, JobBackoffOptions } from '../job-definitions/retry-backoff';
import type { JobType } from '../job-definitions/job-types';

/** Attempts and backoff of a job type, from its retry strategy (the client may lower or raise attempts). */
export function retryOptionsFor(config: AppConfig, type: JobType, attempts?: number): Pick<JobOptions, 'attempts' | 'backoff'> {
  const strategy = config.retryStrategies[type];
  const options: JobBackoffOptions = { strategy };
  return {
    attempts: attempts ?? strategy.attempts,
    backoff: { type: JOB_BACKOFF, options } as JobOptions['backoff'],
  };
}
