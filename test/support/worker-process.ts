import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { SERVICE_ENTRY } from './service-build';
import { waitFor } from './wait-for';

export interface WorkerProcess {
  pid: number;
  /** Everything the process printed so far (JSON log lines), for failure messages. */
  output: () => string;
  /**
   * SIGTERM, then SIGKILL if it has not exited within a few seconds. Safe to call twice.
   * Resolves to how it ended: 'SIGTERM' is a graceful shutdown, 'SIGKILL' a hung one.
   */
  stop: () => Promise<NodeJS.Signals | number | null>;
}

const REPO_ROOT = join(__dirname, '..', '..');

/**
 * Runs the real service (src/main.ts, compiled by global-setup) as a separate process with APP_ROLE=worker, on the test
 * database and the given Redis prefix, and resolves once `ready` says so (e.g. its Bull
 * workers show up in `queue.getWorkers()`; the service's own logs are not a reliable signal).
 */
export async function startWorkerProcess(
  env: Record<string, string>,
  ready: () => Promise<boolean>,
  readyTimeoutMs = 30_000,
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [SERVICE_ENTRY], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      APP_ROLE: 'worker',
      DATABASE_URL: requireEnv('DATABASE_URL'),
      DATABASE_POOL_SIZE: '3',
      REDIS_URL: requireEnv('REDIS_URL'),
      REDIS_PREFIX: requireEnv('REDIS_PREFIX'),
      JWT_SECRET: requireEnv('JWT_SECRET'),
      LOG_LEVEL: 'info',
      // Workers listen too (probes and /metrics): a free port each, unless the test names one.
      PORT: '0',
      QUEUE_METRICS_SNAPSHOT_INTERVAL_MS: '0',
      MONITORING_INTERVAL_MS: '0',
      IDEMPOTENCY_CLEANUP_CRON: 'off',
      DLQ_RETENTION_CRON: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const worker: WorkerProcess = {
    pid: child.pid ?? -1,
    output: () => output,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      return terminate(child);
    },
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`Worker exited with ${child.exitCode}:\n${output.slice(-3000)}`);
        return (await ready()) ? true : undefined;
      },
      readyTimeoutMs,
      `worker process ${child.pid} to start`,
    );
  } catch (error) {
    await worker.stop();
    // What it printed says why it never became ready.
    throw new Error(`${(error as Error).message}\n--- its output ends:\n${output.slice(-2500)}`);
  }
  return worker;
}

async function terminate(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  return child.signalCode ?? child.exitCode;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (test/support/test-env.ts sets it)`);
  return value;
}
