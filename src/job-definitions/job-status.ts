export const JOB_STATUSES = ['waiting', 'delayed', 'active', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const JOB_PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
export type JobPriority = (typeof JOB_PRIORITIES)[number];

/** Bull runs lower numbers first. */
export const BULL_PRIORITY: Record<JobPriority, number> = { critical: 1, high: 2, normal: 3, low: 4 };
