import Redis from 'ioredis';
import { Client } from 'pg';
import { QUEUE_NAMES } from '../../src/job-definitions/queue-names';

/**
 * What requests can leave behind: the rows of every table and the jobs of every Bull queue.
 * `audit_log` is left out on purpose: refused requests are recorded there by design.
 */
export type Footprint = Record<string, number>;

const NOT_COUNTED = new Set(['audit_log', 'migrations', 'typeorm_metadata']);
const LISTS = ['wait', 'active', 'paused'];
const SORTED_SETS = ['delayed', 'completed', 'failed', 'repeat'];

export interface Stores {
  databaseUrl: string;
  redis: Redis;
  /** The service's REDIS_PREFIX; Bull's keys are `<prefix>:bull:<queue>:…`. */
  prefix: string;
}

export async function footprintOf(stores: Stores): Promise<Footprint> {
  const footprint: Footprint = {};
  const client = new Client({ connectionString: stores.databaseUrl });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
    for (const { tablename } of tables) {
      if (NOT_COUNTED.has(tablename)) continue;
      const { rows } = await client.query<{ count: string }>(`SELECT count(*) FROM "${tablename}"`);
      footprint[`rows ${tablename}`] = Number(rows[0].count);
    }
  } finally {
    await client.end();
  }
  for (const queue of QUEUE_NAMES) {
    const key = (suffix: string) => `${stores.prefix}:bull:${queue}:${suffix}`;
    for (const list of LISTS) footprint[`bull ${queue} ${list}`] = await stores.redis.llen(key(list));
    for (const set of SORTED_SETS) footprint[`bull ${queue} ${set}`] = await stores.redis.zcard(key(set));
    footprint[`bull ${queue} last id`] = Number((await stores.redis.get(key('id'))) ?? 0);
  }
  return footprint;
}

/** Every count that differs, as `name: before → after`. */
export function differences(before: Footprint, after: Footprint): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((name) => before[name] !== after[name]).map((name) => `${name}: ${before[name]} → ${after[name]}`);
}

/** Waits until no job is waiting, active or delayed in any queue, so the counts hold still. */
export async function settled(stores: Stores, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let busy = 0;
    for (const queue of QUEUE_NAMES) {
      const key = (suffix: string) => `${stores.prefix}:bull:${queue}:${suffix}`;
      busy += (await stores.redis.llen(key('wait'))) + (await stores.redis.llen(key('active'))) + (await stores.redis.zcard(key('delayed')));
    }
    if (busy === 0) return;
    if (Date.now() > deadline) throw new Error(`queues still had ${busy} waiting, active or delayed jobs after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
