import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import Redis from 'ioredis';
import { waitFor } from './wait-for';

export interface ScratchRedis {
  url: string;
  client: Redis;
  stop: () => Promise<void>;
}

/** A throwaway redis-server on a free loopback port, for tests that need other settings. */
export async function startScratchRedis(...settings: string[]): Promise<ScratchRedis> {
  const port = await freePort();
  const server: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...settings], {
    stdio: 'ignore',
  });
  // A fresh probe per try: a client whose first connect failed is left mid-reconnect.
  await waitFor(() => ping(port), 10_000, 'the scratch redis-server');
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  return {
    url: `redis://127.0.0.1:${port}`,
    client,
    stop: async () => {
      client.disconnect();
      server.kill('SIGKILL');
    },
  };
}

async function ping(port: number): Promise<true | undefined> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG' ? true : undefined;
  } catch {
    return undefined;
  } finally {
    probe.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}
