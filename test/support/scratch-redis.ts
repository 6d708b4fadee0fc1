import { ChildProcess, spawn } from 'node:child_process';
import { createConnection, Socket } from 'node:net';
import Redis from 'ioredis';
import { waitFor } from './wait-for';
import { freePort } from './free-port';

export interface ScratchRedis {
  url: string;
  client: Redis;
  stop: () => Promise<void>;
  /** Kills the server at once (SIGKILL), as a crash would; the port stays this server's to restart on. */
  kill: () => Promise<void>;
  /** Starts a new, empty server on the same port (no persistence: every key is gone). */
  restart: () => Promise<void>;
  /**
   * Replaces the server with one that takes no connection at all: it is stopped (SIGSTOP) with
   * its accept queue full, so the kernel drops new SYNs and every client's reconnect attempt
   * hangs in ioredis's 'connecting' state. What a Redis host gone dark on the network looks like.
   */
  blackHole: () => Promise<void>;
  /** Lets a black-holed server run again: it accepts what waited in its queue, and every new connection. */
  resume: () => void;
}

/** A throwaway redis-server on a free loopback port, for tests that need other settings. */
export async function startScratchRedis(...settings: string[]): Promise<ScratchRedis> {
  const port = await freePort();
  const launch = async (...extra: string[]): Promise<ChildProcess> => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...settings, ...extra], {
      stdio: 'ignore',
    });
    // A fresh probe per try: a client whose first connect failed is left mid-reconnect.
    await waitFor(() => ping(port), 10_000, 'the scratch redis-server');
    return child;
  };
  let server = await launch();
  const kill = async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    server.kill('SIGKILL');
    await exited;
  };
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  const fillers: Socket[] = [];
  return {
    url: `redis://127.0.0.1:${port}`,
    client,
    stop: async () => {
      client.disconnect();
      fillers.splice(0).forEach((socket) => socket.destroy());
      server.kill('SIGCONT');
      await kill();
    },
    kill,
    restart: async () => {
      await kill();
      server = await launch();
    },
    blackHole: async () => {
      await kill();
      server = await launch('--tcp-backlog', '1');
      server.kill('SIGSTOP');
      // The queue holds backlog + 1 connections; fill it until a connect no longer completes.
      for (let tries = 0; tries < 50; tries++) {
        const socket = createConnection({ port, host: '127.0.0.1' });
        socket.on('error', () => undefined);
        fillers.push(socket);
        const connected = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 300);
          socket.once('connect', () => {
            clearTimeout(timer);
            resolve(true);
          });
        });
        if (!connected) return;
      }
      throw new Error('the stopped redis-server still completes connections: its accept queue did not fill');
    },
    resume: () => {
      server.kill('SIGCONT');
      fillers.splice(0).forEach((socket) => socket.destroy());
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

