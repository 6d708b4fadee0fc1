import { isQueueName, QUEUE_NAMES, QueueName } from '../job-definitions/queue-names';

/**
 * What a request to the dashboard asks for. Reads go to bull-board; every change is either
 * carried out by the service's own code or refused, so no bull-board handler ever changes a
 * queue or a job itself (a new route in a bull-board upgrade is refused until it is mapped here).
 */
export type DashboardRequest =
  | { kind: 'read' }
  | { kind: 'retry'; queue: QueueName; jobId: string }
  | { kind: 'remove'; queue: QueueName; jobId: string }
  | { kind: 'pause' | 'resume'; queues: QueueName[] }
  | { kind: 'unknown-queue'; queue: string }
  | { kind: 'refused'; reason: string };

const READS = new Set(['GET', 'HEAD']);
const JOB_ACTION = /^\/api\/queues\/([^/]+)\/([^/]+)\/(retry|clean)$/;
const QUEUE_ACTION = /^\/api\/queues\/([^/]+)\/(pause|resume)$/;
const ALL_QUEUES_ACTION = /^\/api\/queues\/(pause|resume)$/;

const REFUSALS: [RegExp, string][] = [
  [/^\/api\/queues\/[^/]+\/retry\/[^/]+$/, 'Retry jobs one at a time here, or use POST /dlq/retry'],
  [/^\/api\/queues\/[^/]+\/clean\/[^/]+$/, 'Use POST /queues/:name/clear, which marks the records of removed jobs cancelled'],
  [/^\/api\/queues\/[^/]+\/(empty|obliterate)$/, 'Use POST /queues/:name/clear, which marks the records of removed jobs cancelled'],
  [/^\/api\/queues\/[^/]+\/add$/, 'Submit jobs with POST /jobs, which validates and records them'],
];
const DEFAULT_REFUSAL = 'Not available from the dashboard: it changes jobs only through the service (retry, remove, pause, resume)';

/** `path` is relative to the dashboard's mount path, without the query. */
export function dashboardRequestOf(method: string, path: string): DashboardRequest {
  if (READS.has(method.toUpperCase())) return { kind: 'read' };
  if (method.toUpperCase() !== 'PUT') return { kind: 'refused', reason: DEFAULT_REFUSAL };
  const all = ALL_QUEUES_ACTION.exec(path);
  if (all) return { kind: all[1] as 'pause' | 'resume', queues: [...QUEUE_NAMES] };
  const queueAction = QUEUE_ACTION.exec(path);
  if (queueAction) {
    const queue = decode(queueAction[1]);
    if (!isQueueName(queue)) return { kind: 'unknown-queue', queue };
    return { kind: queueAction[2] as 'pause' | 'resume', queues: [queue] };
  }
  const jobAction = JOB_ACTION.exec(path);
  if (jobAction) {
    const queue = decode(jobAction[1]);
    if (!isQueueName(queue)) return { kind: 'unknown-queue', queue };
    return { kind: jobAction[3] === 'retry' ? 'retry' : 'remove', queue, jobId: decode(jobAction[2]) };
  }
  const refusal = REFUSALS.find(([pattern]) => pattern.test(path));
  return { kind: 'refused', reason: refusal?.[1] ?? DEFAULT_REFUSAL };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
