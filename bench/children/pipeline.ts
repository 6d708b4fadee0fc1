/**
 * Baseline (b): the hand-written pipeline. Nest + Express route → INSERT a row → Bull add →
 * no-op processor → UPDATE the row. No auth, validation, idempotency, leases or journal.
 */
import 'reflect-metadata';
import { Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Bull from 'bull';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';

const pool = new Pool({ connectionString: process.env.BENCH_DATABASE_URL, max: Number(process.env.BENCH_POOL_SIZE ?? 10) });
const queue = new Bull<{ id: string }>('pipeline', process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', {
  prefix: process.env.BENCH_REDIS_PREFIX,
  defaultJobOptions: { removeOnComplete: { count: 5000 } },
});

@Controller()
class PipelineController {
  @Post('jobs')
  @HttpCode(201)
  async submit(@Body() body: { run: string; data: unknown }): Promise<{ id: string }> {
    const id = randomUUID();
    await pool.query('INSERT INTO bench_pipeline (id, run, data) VALUES ($1, $2, $3)', [id, body.run, body.data]);
    await queue.add({ id }, { jobId: id });
    return { id };
  }
}

@Module({ controllers: [PipelineController] })
class PipelineModule {}

async function main(): Promise<void> {
  void queue.process(Number(process.env.BENCH_CONCURRENCY ?? 10), async (job) => {
    await pool.query(
      `UPDATE bench_pipeline SET status = 'completed', started_at = $2, finished_at = clock_timestamp() WHERE id = $1`,
      [job.data.id, new Date(job.processedOn ?? Date.now())],
    );
  });
  const app = await NestFactory.create(PipelineModule, { logger: ['error'] });
  await app.listen(Number(process.env.PORT));
  process.send?.({ event: 'ready' });
  process.on('SIGTERM', () => void Promise.all([app.close(), queue.close(), pool.end()]).then(() => process.exit(0)));
}
void main();
