import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_ENTRY } from '../support/service-build';
import { send } from './http-client';
import { freePort } from '../support/free-port';

export interface ServiceProcess {
  port: number;
  /** Error-level log lines by request id: the stack of a 5xx. */
  errorsOf: (requestId: string | undefined) => string[];
  stop: () => Promise<void>;
}

const REPO_ROOT = join(__dirname, '..', '..');

/**
 * The real service (src/main.ts compiled, API and workers) as a child process; its JSON log goes to
 * `logFile`, and error lines are kept by request id.
 */
export async function startService(env: Record<string, string>, logFile: string, readyTimeoutMs = 120_000): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVICE_ENTRY], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  const errors = new Map<string, string[]>();
  let pending = '';
  let tail = '';
  const read = (chunk: Buffer) => {
    log.write(chunk);
    tail = (tail + chunk.toString()).slice(-4000);
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as { level?: number; requestId?: string; req?: { id?: string } };
        const id = entry.requestId ?? entry.req?.id;
        if ((entry.level ?? 0) >= 50 && id) errors.set(id, [...(errors.get(id) ?? []), line]);
      } catch {
        // Not a JSON log line (a start-up message): kept in the file only.
      }
    }
  };
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => log.end(resolve));
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} while starting:\n${tail}`);
    const probe = await send(port, { method: 'GET', route: 'GET /health/startup', path: '/health/startup', headers: {} }, 2_000);
    if (probe.status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the service was not ready within ${readyTimeoutMs} ms:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { port, errorsOf: (requestId) => (requestId ? errors.get(requestId) ?? [] : []), stop };
}
