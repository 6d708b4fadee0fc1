/**
 * Baseline (a): plain Bull, a no-op processor at the service queue's concurrency. Forked by the
 * bench; starts processing when told, so the backlog is filled before any worker runs.
 */
import Bull from 'bull';

const queue = new Bull(process.env.BENCH_QUEUE ?? 'raw', process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', {
  prefix: process.env.BENCH_REDIS_PREFIX,
  defaultJobOptions: { removeOnComplete: { count: Number(process.env.BENCH_KEEP_COMPLETED ?? 1000) } },
});

process.on('message', (message: { command: string }) => {
  if (message.command === 'process') {
    void queue.process(Number(process.env.BENCH_CONCURRENCY ?? 10), async () => undefined);
    process.send?.({ event: 'processing' });
  }
  if (message.command === 'stop') void queue.close().then(() => process.exit(0));
});
void queue.isReady().then(() => process.send?.({ event: 'ready' }));
