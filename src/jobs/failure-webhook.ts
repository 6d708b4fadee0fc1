import type { DeadLetterEntry } from '../dead-letters/dead-letter-recorder';
import type { FollowUpRequest } from '../job-definitions/job-handler';
import type { JobType } from '../job-definitions/job-types';

/** Webhook jobs failing for good raise no `operation.failed` of their own: a dead receiver must not feed itself. */
const SILENT_TYPES: readonly JobType[] = ['webhook-event', 'webhook-deliver'];

const MAX_MESSAGE_LENGTH = 500;

/**
 * The `operation.failed` webhook event of a job that has just been dead-lettered, as a follow-up
 * of the failed job written in the dead-letter entry's transaction. Named after the entry, so it
 * is one event per entry: a job dead-lettered again after a retry tells receivers again.
 */
export function operationFailedEvent(entry: DeadLetterEntry, deadLetterId: string): FollowUpRequest<'webhook-event'> | undefined {
  if (SILENT_TYPES.includes(entry.type as JobType)) return undefined;
  return {
    name: `webhook:operation.failed:${deadLetterId}`,
    type: 'webhook-event',
    data: {
      event: 'operation.failed',
      body: {
        jobId: entry.jobId,
        type: entry.type,
        queue: entry.queue,
        errorType: entry.errorType,
        errorMessage: entry.errorMessage.slice(0, MAX_MESSAGE_LENGTH),
        attempts: entry.attempts,
        deadLetterId,
        failedAt: entry.lastFailedAt.toISOString(),
      },
    },
  };
}
