/**
 * `npm run bench` (full: 3 runs of each figure) or `npm run bench -- --quick` (1 run, smaller
 * sizes). Starts the service as a child process on a database and Redis prefix of its own,
 * beside raw Bull and a hand-written pipeline on the same servers; prints one table and writes
 * bench/results/<timestamp>.json. It measures; it never passes or fails.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { buildForBench } from './build';
import { BenchContext } from './context';
import { instrumented, rssUnderBacklog } from './resources';
import { renderTable } from './report';
import {
  BullTimestamps, pipelineLatency, pipelineLifecycle, rawBullDrain, serviceDrain, serviceLatency, serviceLifecycle,
} from './sections';
import { spread, Spread } from './stats';
import { QUEUE_DEFINITIONS } from '../src/config/queues.config';

const quick = process.argv.includes('--quick');
const SIZES = quick
  ? { runs: 1, analyticsDrain: 2000, paymentDrain: 1000, rawDrain: 5000, lifecycleS: 4, latencyS: 4, rate: 500, backlog: 5000, processed: 10000, countJobs: 200, profileS: 4 }
  : { runs: 3, analyticsDrain: 5000, paymentDrain: 2000, rawDrain: 10000, lifecycleS: 10, latencyS: 10, rate: 500, backlog: 20000, processed: 100000, countJobs: 500, profileS: 10 };

/** Raw Bull drains at the concurrency the service's queues run at by default (the bench sets none). */
const CONCURRENCY = { background: QUEUE_DEFINITIONS.background.concurrency, money: QUEUE_DEFINITIONS.money.concurrency };

const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)} load ${loadavg()[0].toFixed(1)}] ${line}\n`);

/** Runs `measure` SIZES.runs times and gathers each numeric field into its median and min–max. */
async function repeated<T extends object>(what: string, measure: (run: number) => Promise<T>): Promise<Record<keyof T, Spread>> {
  const runs: T[] = [];
  for (let run = 0; run < SIZES.runs; run++) {
    log(`${what} (run ${run + 1}/${SIZES.runs})`);
    runs.push(await measure(run));
  }
  const keys = Object.keys(runs[0]) as (keyof T)[];
  return Object.fromEntries(keys.map((key) => [key, spread(runs.map((run) => Number(run[key])))])) as Record<keyof T, Spread>;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loads: number[] = [loadavg()[0]];
  const loadTimer = setInterval(() => loads.push(loadavg()[0]), 5000);
  log(`building (${quick ? 'quick' : 'full'} run)`);
  buildForBench();
  const bench = new BenchContext();
  await bench.createDatabase();
  const results: Record<string, unknown> = {};
  /** Section 4 again on APP_ROLE=api beside one APP_ROLE=worker process: the API and the jobs on event loops of their own. */
  const latencyOfSplitRoles = async () => {
    log('starting APP_ROLE=api and APP_ROLE=worker');
    const api = await bench.startService('service-api', { APP_ROLE: 'api' });
    const worker = await bench.startService('service-worker', { APP_ROLE: 'worker' });
    const splitTimestamps = await BullTimestamps.open(bench);
    try {
      await serviceLifecycle(bench, api, 2);
      return {
        analytics: await repeated(`latency at ${SIZES.rate}/s, analytics-process, api + worker`, () => serviceLatency(bench, api, 'analytics-process', SIZES.rate, SIZES.latencyS, splitTimestamps)),
        payment: await repeated(`latency at ${SIZES.rate}/s, payment-process, api + worker`, () => serviceLatency(bench, api, 'payment-process', SIZES.rate, SIZES.latencyS, splitTimestamps)),
      };
    } finally {
      await splitTimestamps.close();
      await worker.stop();
      await api.stop();
    }
  };
  try {
    log('starting the service and the hand-written pipeline');
    const service = await bench.startService('service');
    const pipeline = await bench.startPipeline('pipeline');
    const timestamps = await BullTimestamps.open(bench);
    // A short warm-up so neither side is measured on cold code.
    await serviceLifecycle(bench, service, 2);
    await pipelineLifecycle(bench, pipeline, 2);
    // Statistics as a server with autovacuum on has them (this machine's runs with it off), so
    // each measurement's tenant is newer than the statistics: the case migration 009 is for.
    await bench.pool.query('ANALYZE');

    results.drain = {
      analytics: await repeated('drain analytics-process', () => serviceDrain(bench, service, 'analytics-process', SIZES.analyticsDrain)),
      rawBullBackground: await repeated(`drain raw Bull, concurrency ${CONCURRENCY.background}`, () => rawBullDrain(bench, CONCURRENCY.background, SIZES.rawDrain, 1000)),
      payment: await repeated('drain payment-process', () => serviceDrain(bench, service, 'payment-process', SIZES.paymentDrain)),
      rawBullMoney: await repeated(`drain raw Bull, concurrency ${CONCURRENCY.money}`, () => rawBullDrain(bench, CONCURRENCY.money, SIZES.rawDrain, 5000)),
      concurrency: CONCURRENCY,
    };
    results.lifecycle = {
      service: await repeated('HTTP lifecycle, service', () => serviceLifecycle(bench, service, SIZES.lifecycleS)),
      pipeline: await repeated('HTTP lifecycle, pipeline', () => pipelineLifecycle(bench, pipeline, SIZES.lifecycleS)),
    };
    results.latency = {
      analytics: await repeated(`latency at ${SIZES.rate}/s, analytics-process`, () => serviceLatency(bench, service, 'analytics-process', SIZES.rate, SIZES.latencyS, timestamps)),
      payment: await repeated(`latency at ${SIZES.rate}/s, payment-process`, () => serviceLatency(bench, service, 'payment-process', SIZES.rate, SIZES.latencyS, timestamps)),
      pipeline: await repeated(`latency at ${SIZES.rate}/s, pipeline`, () => pipelineLatency(bench, pipeline, SIZES.rate, SIZES.latencyS)),
    };
    log(`RSS: ${SIZES.backlog}-job backlog, ${SIZES.processed} jobs processed`);
    results.rss = await rssUnderBacklog(bench, service, SIZES.backlog, SIZES.processed);
    await timestamps.close();
    await pipeline.stop();
    await service.stop();
    results.latencySplit = await latencyOfSplitRoles();
    log('counts per job and the CPU profile (instrumented service)');
    results.instrumented = await instrumented(bench, SIZES.countJobs, SIZES.profileS);
  } finally {
    clearInterval(loadTimer);
    await bench.cleanUp();
  }
  loads.push(loadavg()[0]);
  const report = {
    mode: quick ? 'quick' : 'full',
    startedAt: startedAt.toISOString(),
    durationS: (Date.now() - startedAt.getTime()) / 1000,
    sizes: SIZES,
    machine: { cpus: (await import('node:os')).cpus().length, loadAverage1m: spread(loads), node: process.version },
    ...results,
  };
  const folder = join(__dirname, 'results');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${startedAt.toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${renderTable(report)}\n\nWritten: ${file}\n`);
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
