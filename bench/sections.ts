import Bull from 'bull';
import { join } from 'node:path';
import { BUILD_DIR } from './build';
import { BenchContext, REDIS_URL } from './context';
import { cpuWindow, CpuUse } from './cpu-usage';
import { postLoad } from './http-load';
import { Child, startChild, waitFor } from './processes';
import { percentile } from './stats';

export const BATCH_SIZE = 1000;
const DRAIN_TIMEOUT_MS = 600_000;

export const paymentData = (n: number) => ({ orderId: `ord-${n}`, amount: 2500, currency: 'usd', paymentMethodId: 'pm_card_visa' });
export const analyticsData = (n: number) => ({ event: 'ticket.scanned', properties: { seat: n } });

export type ServiceType = 'payment-process' | 'analytics-process';
const QUEUE_OF = { 'payment-process': 'money', 'analytics-process': 'background' } as const;

/** A client's submission: a payment carries its idempotency key, as a checkout would. */
export function submission(type: ServiceType, n: number) {
  return type === 'payment-process'
    ? { type, data: paymentData(n), options: { idempotencyKey: `pay-${n}` } }
    : { type, data: analyticsData(n) };
}

const pendingCount = (queue: Bull.Queue) => queue.getJobCountByTypes(['waiting', 'paused', 'active', 'delayed'] as never);

export interface DrainRun { drainPerS: number; batchPerS: number; failed: number }

/**
 * Fills the paused queue with `POST /jobs/batch` (timed: the batch figure), then resumes it and
 * times the drain: until every record is finished (persisted) or nothing is left in Redis.
 */
export async function serviceDrain(bench: BenchContext, service: Child, type: ServiceType, jobs: number): Promise<DrainRun> {
  const queueName = QUEUE_OF[type];
  const queue = bench.serviceQueue(queueName);
  const { tenantId, token } = bench.newTenant();
  const failedBefore = await queue.getFailedCount();
  await bench.api(service.url, `/queues/${queueName}/pause`, {}, bench.adminToken);
  const fillStart = performance.now();
  for (let from = 0; from < jobs; from += BATCH_SIZE) {
    const size = Math.min(BATCH_SIZE, jobs - from);
    await bench.api(service.url, '/jobs/batch', { jobs: Array.from({ length: size }, (_, i) => submission(type, from + i)) }, token);
  }
  const batchPerS = jobs / ((performance.now() - fillStart) / 1000);
  await waitFor(async () => (await pendingCount(queue)) >= jobs, 60_000, 'the backlog in Redis');
  const started = Date.now();
  await bench.api(service.url, `/queues/${queueName}/resume`, {}, bench.adminToken);
  let finished: number;
  if (type === 'payment-process') {
    await waitFor(async () => (await unfinishedRecords(bench, tenantId)) === 0, DRAIN_TIMEOUT_MS, 'the payment records', 100);
    finished = (await recordSpan(bench, tenantId)).lastFinished;
  } else {
    await waitFor(async () => (await pendingCount(queue)) === 0, DRAIN_TIMEOUT_MS, 'the background drain', 20);
    finished = Date.now();
  }
  const failed = (await queue.getFailedCount()) - failedBefore;
  await queue.close();
  return { drainPerS: jobs / ((finished - started) / 1000), batchPerS, failed };
}

async function unfinishedRecords(bench: BenchContext, tenantId: string): Promise<number> {
  const { rows } = await bench.pool.query<{ open: string }>(
    `SELECT count(*) FILTER (WHERE finished_at IS NULL) AS open FROM jobs WHERE tenant_id = $1`, [tenantId]);
  return Number(rows[0].open);
}

/**
 * The tenant's completed payments, and the span from its first record created to its last one
 * finished. Follow-ups (each payment's `webhook-event`) finish inside the span but are not
 * counted: the client submitted one job, so the service is credited with one.
 */
async function recordSpan(bench: BenchContext, tenantId: string) {
  const { rows } = await bench.pool.query<{ count: string; first: Date; last: Date }>(
    `SELECT count(*) FILTER (WHERE type = 'payment-process') AS count, min(created_at) AS first, max(finished_at) AS last
       FROM jobs WHERE tenant_id = $1 AND status = 'completed'`, [tenantId]);
  return { completed: Number(rows[0].count), firstCreated: rows[0].first.getTime(), lastFinished: rows[0].last.getTime() };
}

export interface RawBullRun { drainPerS: number; addBulkPerS: number }

/** Baseline (a): addBulk in 1000-job chunks into a queue with no worker (timed), then a no-op worker drains it. */
export async function rawBullDrain(bench: BenchContext, concurrency: number, jobs: number, keepCompleted: number): Promise<RawBullRun> {
  const name = `raw-${concurrency}-${Math.random().toString(36).slice(2, 8)}`;
  const prefix = `${bench.redisPrefix}:raw`;
  const worker = await startChild({
    script: join(BUILD_DIR, 'bench', 'children', 'raw-bull.js'),
    env: { BENCH_QUEUE: name, BENCH_REDIS_URL: REDIS_URL, BENCH_REDIS_PREFIX: prefix, BENCH_CONCURRENCY: String(concurrency), BENCH_KEEP_COMPLETED: String(keepCompleted) },
    logFile: join(bench.logDir, 'raw-bull.log'),
  });
  const queue = new Bull(name, REDIS_URL, { prefix });
  const fillStart = performance.now();
  for (let from = 0; from < jobs; from += BATCH_SIZE) {
    const size = Math.min(BATCH_SIZE, jobs - from);
    await queue.addBulk(Array.from({ length: size }, (_, i) => ({ data: analyticsData(from + i), opts: { removeOnComplete: { count: keepCompleted } } })));
  }
  const addBulkPerS = jobs / ((performance.now() - fillStart) / 1000);
  const started = Date.now();
  worker.process.send({ command: 'process' });
  await waitFor(async () => (await queue.getJobCountByTypes(['waiting', 'active'] as never)) === 0, DRAIN_TIMEOUT_MS, 'the raw Bull drain', 10);
  const drainPerS = jobs / ((Date.now() - started) / 1000);
  await queue.close();
  await worker.stop();
  return { drainPerS, addBulkPerS };
}

export interface LifecycleRun {
  acceptedPerS: number; completedPerS: number; httpP50: number; httpP99: number; completed: number; windowMs: number;
  /** CPU per completed job, from the load's start to the last record finished: the process itself, PostgreSQL, Redis. */
  processCpuMsPerJob: number; postgresCpuMsPerJob: number; redisCpuMsPerJob: number;
}

const perJob = (cpu: CpuUse, jobs: number) => ({
  processCpuMsPerJob: cpu.processMs / jobs, postgresCpuMsPerJob: cpu.postgresMs / jobs, redisCpuMsPerJob: cpu.redisMs / jobs,
});

/**
 * Full lifecycle over HTTP at `connections` clients for `durationS`: payments/s from the first
 * record created to the last one finished (follow-ups included), every accepted job recorded as completed.
 */
export async function serviceLifecycle(bench: BenchContext, service: Child, durationS: number, connections = 50): Promise<LifecycleRun> {
  const { tenantId, token } = bench.newTenant();
  const cpu = cpuWindow(service.pid);
  const load = await postLoad({ url: `${service.url}/jobs`, token, connections, durationS, body: (n) => submission('payment-process', n) });
  await waitFor(async () => (await unfinishedRecords(bench, tenantId)) === 0, DRAIN_TIMEOUT_MS, 'the lifecycle records', 100);
  const used = cpu.stop();
  const span = await recordSpan(bench, tenantId);
  const windowMs = span.lastFinished - span.firstCreated;
  return {
    acceptedPerS: load.accepted / load.durationS, completedPerS: span.completed / (windowMs / 1000), httpP50: load.latencyP50, httpP99: load.latencyP99,
    completed: span.completed, windowMs, ...perJob(used, span.completed),
  };
}

export async function pipelineLifecycle(bench: BenchContext, pipeline: Child, durationS: number, connections = 50): Promise<LifecycleRun> {
  const run = Math.random().toString(36).slice(2);
  const cpu = cpuWindow(pipeline.pid);
  const load = await postLoad({ url: `${pipeline.url}/jobs`, connections, durationS, body: (n) => ({ run, data: paymentData(n) }) });
  await waitFor(async () => (await pipelineOpen(bench, run)) === 0, DRAIN_TIMEOUT_MS, 'the pipeline rows', 100);
  const used = cpu.stop();
  const { rows } = await bench.pool.query<{ count: string; first: Date; last: Date }>(
    `SELECT count(*) AS count, min(created_at) AS first, max(finished_at) AS last FROM bench_pipeline WHERE run = $1`, [run]);
  const windowMs = rows[0].last.getTime() - rows[0].first.getTime();
  const completed = Number(rows[0].count);
  return {
    acceptedPerS: load.accepted / load.durationS, completedPerS: completed / (windowMs / 1000), httpP50: load.latencyP50, httpP99: load.latencyP99,
    completed, windowMs, ...perJob(used, completed),
  };
}

async function pipelineOpen(bench: BenchContext, run: string): Promise<number> {
  const { rows } = await bench.pool.query<{ open: string }>(`SELECT count(*) FILTER (WHERE finished_at IS NULL) AS open FROM bench_pipeline WHERE run = $1`, [run]);
  return Number(rows[0].open);
}

export interface LatencyRun {
  acceptedPerS: number; ackP50: number; ackP99: number;
  startP50: number; startP99: number; completeP50: number; completeP99: number; measured: number;
}

/** Bull's own timestamps of the background jobs, read from each job's hash as it completes. */
export class BullTimestamps {
  readonly samples: { startMs: number; completeMs: number }[] = [];
  constructor(private readonly bench: BenchContext, private readonly queue: Bull.Queue) {
    queue.on('global:completed', (jobId: string) => {
      void bench.redis.hmget(`${bench.redisPrefix}:bull:background:${jobId}`, 'timestamp', 'processedOn', 'finishedOn').then(([added, processed, done]) => {
        if (added && processed && done) this.samples.push({ startMs: Number(processed) - Number(added), completeMs: Number(done) - Number(added) });
      });
    });
  }
  static async open(bench: BenchContext): Promise<BullTimestamps> {
    const queue = bench.serviceQueue('background');
    await queue.isReady();
    return new BullTimestamps(bench, queue);
  }
  close = () => this.queue.close();
}

const latencyOf = (accepted: number, durationS: number, ackP50: number, ackP99: number, start: number[], complete: number[]): LatencyRun => ({
  acceptedPerS: accepted / durationS, ackP50, ackP99,
  startP50: percentile(start, 50), startP99: percentile(start, 99), completeP50: percentile(complete, 50), completeP99: percentile(complete, 99),
  measured: complete.length,
});

/**
 * A fixed offered rate for `durationS`. Enqueue→start and enqueue→complete come from the jobs'
 * own timestamps: the record (created_at, started_at, finished_at) for persisted jobs and the
 * pipeline, Bull's job hash (timestamp, processedOn, finishedOn) for Redis-only jobs.
 */
export async function serviceLatency(bench: BenchContext, service: Child, type: ServiceType, rate: number, durationS: number, timestamps: BullTimestamps): Promise<LatencyRun> {
  const { tenantId, token } = bench.newTenant();
  timestamps.samples.length = 0;
  const load = await postLoad({ url: `${service.url}/jobs`, token, connections: 50, durationS, overallRate: rate, body: (n) => submission(type, n) });
  if (type === 'analytics-process') {
    await waitFor(() => timestamps.samples.length >= load.accepted, DRAIN_TIMEOUT_MS, 'the background completions', 50);
    const samples = timestamps.samples.splice(0);
    return latencyOf(load.accepted, load.durationS, load.latencyP50, load.latencyP99, samples.map((s) => s.startMs), samples.map((s) => s.completeMs));
  }
  await waitFor(async () => (await unfinishedRecords(bench, tenantId)) === 0, DRAIN_TIMEOUT_MS, 'the payment records', 100);
  const { rows } = await bench.pool.query<{ start: number; complete: number }>(
    `SELECT extract(epoch FROM started_at - created_at) * 1000 AS start, extract(epoch FROM finished_at - created_at) * 1000 AS complete
       FROM jobs WHERE tenant_id = $1 AND status = 'completed' AND type = 'payment-process'`, [tenantId]);
  return latencyOf(load.accepted, load.durationS, load.latencyP50, load.latencyP99, rows.map((r) => Number(r.start)), rows.map((r) => Number(r.complete)));
}

export async function pipelineLatency(bench: BenchContext, pipeline: Child, rate: number, durationS: number): Promise<LatencyRun> {
  const run = Math.random().toString(36).slice(2);
  const load = await postLoad({ url: `${pipeline.url}/jobs`, connections: 50, durationS, overallRate: rate, body: (n) => ({ run, data: paymentData(n) }) });
  await waitFor(async () => (await pipelineOpen(bench, run)) === 0, DRAIN_TIMEOUT_MS, 'the pipeline rows', 100);
  const { rows } = await bench.pool.query<{ start: number; complete: number }>(
    `SELECT extract(epoch FROM started_at - created_at) * 1000 AS start, extract(epoch FROM finished_at - created_at) * 1000 AS complete
       FROM bench_pipeline WHERE run = $1`, [run]);
  return latencyOf(load.accepted, load.durationS, load.latencyP50, load.latencyP99, rows.map((r) => Number(r.start)), rows.map((r) => Number(r.complete)));
}
