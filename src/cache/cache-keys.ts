/** Every cache key in one place, so that whoever changes a thing finds the key to invalidate. */
export const CACHE_KEYS = {
  queueList: 'queues:list',
  queueStatus: (queue: string) => `queues:status:${queue}`,
  apiLimitOverride: (tenantId: string, userId: string, group: string) => `rate-limits:override:${tenantId}:${userId}:${group}`,
} as const;

/** What a change to a queue's jobs or state makes stale: its status and the list of all queues. */
export function queueCacheKeys(queue: string): string[] {
  return [CACHE_KEYS.queueStatus(queue), CACHE_KEYS.queueList];
}
