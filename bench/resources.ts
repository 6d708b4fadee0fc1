import { join } from 'node:path';
import { BUILD_DIR } from './build';
import { BenchContext, PRODUCTION_NODE_FLAGS } from './context';
import { postLoad } from './http-load';
import { Child, rssMb, rssSampler, waitFor } from './processes';
import { summariseProfile, ProfileSummary } from './profile';
import { serviceDrain, serviceLifecycle, ServiceType, submission, paymentData, LifecycleRun } from './sections';
import { postgresCounter, redisCounter, WireCounter } from './wire-counters';

export interface RssRun { backlog: number; peakMb: number; peakOverallMb: number; beforeMb: number; afterMb: number; processed: number }

/**
 * Peak RSS while a `backlog`-job background backlog is filled and drained, then more such
 * rounds until `total` jobs have been processed; RSS before the first round and after the last
 * (after a few seconds' rest), sampled from /proc/<pid>/status.
 */
export async function rssUnderBacklog(bench: BenchContext, service: Child, backlog: number, total: number): Promise<RssRun> {
  const sampler = rssSampler(service.pid);
  const beforeMb = rssMb(service.pid);
  sampler.reset();
  await serviceDrain(bench, service, 'analytics-process', backlog);
  const peakMb = sampler.peak();
  let processed = backlog;
  while (processed < total) {
    const size = Math.min(backlog, total - processed);
    await serviceDrain(bench, service, 'analytics-process', size);
    processed += size;
  }
  const peakOverallMb = sampler.peak();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  sampler.stop();
  return { backlog, peakMb, peakOverallMb, beforeMb, afterMb: rssMb(service.pid), processed };
}

export interface PerJobCounts {
  jobs: number;
  statements: number; transactions: number; roundTrips: number; redisCommands: number;
  sql: Record<string, number>; redis: Record<string, number>;
  idleStatementsPerS: number; idleRedisPerS: number;
}

export interface InstrumentedResults { counts: Record<string, PerJobCounts>; profile?: ProfileSummary & { lifecycle: LifecycleRun } }

async function proxies(): Promise<{ pg: WireCounter; redis: WireCounter }> {
  return { pg: await postgresCounter(), redis: await redisCounter() };
}

function perJob(pg: WireCounter, redis: WireCounter, jobs: number, idle: { pg: number; redis: number }): PerJobCounts {
  const pick = (counts: Record<string, number>, prefix: string) => Object.fromEntries(
    Object.entries(counts).filter(([key, value]) => key.startsWith(prefix) && value > 0)
      .sort((a, b) => b[1] - a[1]).slice(0, 12).map(([key, value]) => [key.slice(prefix.length), value / jobs]));
  return {
    jobs,
    statements: (pg.counts.statements ?? 0) / jobs,
    transactions: (pg.counts.transactions ?? 0) / jobs,
    roundTrips: (pg.counts.roundTrips ?? 0) / jobs,
    redisCommands: (redis.counts.commands ?? 0) / jobs,
    sql: pick(pg.counts, 'sql:'),
    redis: pick(redis.counts, 'redis:'),
    idleStatementsPerS: idle.pg,
    idleRedisPerS: idle.redis,
  };
}

async function idleRates(pg: WireCounter, redis: WireCounter, ms = 3000): Promise<{ pg: number; redis: number }> {
  pg.reset(); redis.reset();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { pg: (pg.counts.statements ?? 0) / (ms / 1000), redis: (redis.counts.commands ?? 0) / (ms / 1000) };
}

/**
 * A second service (and pipeline) whose PostgreSQL and Redis connections run through counting
 * proxies: statements, transactions and commands per job over `jobs` single submissions at 10
 * clients, submit to recorded. Then, if asked, V8's sampling profiler over an HTTP lifecycle window.
 */
export async function instrumented(bench: BenchContext, jobs: number, profileSeconds: number): Promise<InstrumentedResults> {
  const { pg, redis } = await proxies();
  const pgUrl = new URL(bench.databaseUrl); pgUrl.port = String(pg.port);
  const redisUrl = `redis://127.0.0.1:${redis.port}`;
  const service = await bench.startService('service-instrumented', { DATABASE_URL: pgUrl.toString(), REDIS_URL: redisUrl },
    [...PRODUCTION_NODE_FLAGS, '-r', join(BUILD_DIR, 'bench', 'children', 'profiler-preload.js')]);
  const counts: Record<string, PerJobCounts> = {};
  let profile: InstrumentedResults['profile'];
  try {
    const idle = await idleRates(pg, redis);
    for (const type of ['analytics-process', 'payment-process'] as ServiceType[]) {
      counts[type] = await countSubmissions(bench, service, type, jobs, pg, redis, idle);
    }
    if (profileSeconds > 0) profile = await profileLifecycle(bench, service, profileSeconds);
  } finally {
    await service.stop();
  }
  const pipeline = await bench.startPipeline('pipeline-instrumented', { BENCH_DATABASE_URL: pgUrl.toString(), BENCH_REDIS_URL: redisUrl });
  try {
    const idle = await idleRates(pg, redis);
    const run = Math.random().toString(36).slice(2);
    pg.reset(); redis.reset();
    await postLoad({ url: `${pipeline.url}/jobs`, connections: 10, amount: jobs, body: (n) => ({ run, data: paymentData(n) }) });
    await waitFor(async () => {
      const { rows } = await bench.pool.query<{ open: string }>(`SELECT count(*) FILTER (WHERE finished_at IS NULL) AS open FROM bench_pipeline WHERE run = $1`, [run]);
      return Number(rows[0].open) === 0;
    }, 120_000, 'the pipeline rows', 100);
    await new Promise((resolve) => setTimeout(resolve, 500));
    counts['hand-written pipeline'] = perJob(pg, redis, jobs, idle);
  } finally {
    await pipeline.stop();
    await pg.close(); await redis.close();
  }
  return { counts, profile };
}

async function countSubmissions(bench: BenchContext, service: Child, type: ServiceType, jobs: number, pg: WireCounter, redis: WireCounter, idle: { pg: number; redis: number }): Promise<PerJobCounts> {
  const { token } = bench.newTenant();
  const queue = bench.serviceQueue(type === 'payment-process' ? 'money' : 'background');
  const before = await queue.getCompletedCount();
  const kept = type === 'payment-process' ? 5000 : 1000;
  pg.reset(); redis.reset();
  const load = await postLoad({ url: `${service.url}/jobs`, token, connections: 10, amount: jobs, body: (n) => submission(type, n) });
  if (load.accepted !== jobs) throw new Error(`${type}: ${load.accepted} of ${jobs} submissions accepted`);
  // Completed counts are capped by removeOnComplete; jobs stays below the smaller cap.
  await waitFor(async () => (await queue.getCompletedCount()) >= Math.min(kept, before + jobs), 120_000, `${type} completions`, 50);
  await waitFor(async () => (await queue.getJobCountByTypes(['waiting', 'active'] as never)) === 0, 120_000, `${type} drain`, 50);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await queue.close();
  return perJob(pg, redis, jobs, idle);
}

async function profileLifecycle(bench: BenchContext, service: Child, seconds: number) {
  const path = join(bench.logDir, `service-lifecycle-${bench.id}.cpuprofile`);
  const reply = (event: string) => new Promise<{ error?: string }>((resolve) => {
    const listener = (message: { event?: string; error?: string }) => { if (message.event === event) { service.process.off('message', listener); resolve(message); } };
    service.process.on('message', listener);
  });
  const started = reply('profile-started');
  service.process.send({ command: 'profile-start' });
  await started;
  const lifecycle = await serviceLifecycle(bench, service, seconds);
  const written = reply('profile-written');
  service.process.send({ command: 'profile-stop', path });
  const { error } = await written;
  if (error) throw new Error(`profile: ${error}`);
  return { ...summariseProfile(path, lifecycle.completed), lifecycle, path };
}
