import { ChildProcess, fork } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface Child {
  process: ChildProcess;
  pid: number;
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** VmRSS of a process in MB, from /proc. */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Samples a process's RSS every 100 ms; `peak()` since the last `reset()`. */
export function rssSampler(pid: number) {
  let peak = 0;
  const timer = setInterval(() => { try { peak = Math.max(peak, rssMb(pid)); } catch { /* exited */ } }, 100);
  timer.unref();
  return { peak: () => Math.max(peak, rssMb(pid)), reset: () => { peak = rssMb(pid); }, stop: () => clearInterval(timer) };
}

interface StartOptions {
  script: string;
  env: Record<string, string>;
  logFile: string;
  nodeArgs?: string[];
  readyUrl?: string;
  timeoutMs?: number;
}

const running = new Set<ChildProcess>();
// A bench stopped by an error or Ctrl-C takes its children with it: none is left polling a dropped database.
process.on('exit', () => { for (const child of running) child.kill('SIGKILL'); });
process.once('SIGINT', () => process.exit(130));

/** Forks a built script with its own environment and log file; resolves once it reports ready. */
export async function startChild(options: StartOptions): Promise<Child> {
  const port = options.env.PORT ?? String(await freePort());
  const log = openSync(options.logFile, 'a');
  const child = fork(options.script, [], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env, PORT: port },
    execArgv: options.nodeArgs ?? [],
    stdio: ['ignore', log, log, 'ipc'],
    cwd: join(__dirname, '..'),
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { running.delete(child); resolve(); }));
  const url = `http://127.0.0.1:${port}`;
  const ready = options.readyUrl
    ? waitFor(async () => fetch(`${url}${options.readyUrl}`).then((response) => response.ok, () => false), options.timeoutMs ?? 180_000, `${options.script} to answer`, 250)
    : new Promise<void>((resolve) => child.on('message', (message: { event?: string }) => { if (message.event === 'ready') resolve(); }));
  await Promise.race([ready, exited.then(() => { throw new Error(`${options.script} exited during start-up; see ${options.logFile}`); })]);
  return {
    process: child,
    pid: child.pid ?? 0,
    url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
