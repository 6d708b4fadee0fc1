import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis, { Cluster } from 'ioredis';
import { waitFor } from './wait-for';

const run = promisify(execFile);

export interface RedisClusterHandle {
  /** The value for REDIS_CLUSTER_NODES. */
  nodes: string;
  ports: number[];
  /** A cluster client of the test's own (no key prefix). */
  client: Cluster;
  /** Stops every node and removes its files. Safe to call twice. */
  stop: () => Promise<void>;
}

/** Fixed ports, unlikely to clash; the test says which is taken if one is. */
export const CLUSTER_PORTS = [7101, 7102, 7103];

/**
 * A three-primary Redis Cluster on loopback (`redis-server --cluster-enabled yes`, then
 * `redis-cli --cluster create`), no persistence, its node files in a temporary folder. The
 * servers are this process's children: they are killed when it exits, whatever happened.
 */
export async function startRedisCluster(ports = CLUSTER_PORTS): Promise<RedisClusterHandle> {
  for (const port of ports) await assertPortFree(port);
  const dir = await mkdtemp(join(tmpdir(), 'qs-redis-cluster-'));
  const servers: ChildProcess[] = [];
  let client: Cluster | undefined;
  const killAll = () => servers.forEach((server) => server.exitCode === null && server.signalCode === null && server.kill('SIGKILL'));
  process.once('exit', killAll);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client?.disconnect();
    await Promise.all(
      servers.map(async (server) => {
        if (server.exitCode !== null || server.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
        server.kill('SIGKILL');
        await exited;
      }),
    );
    process.removeListener('exit', killAll);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const server = spawn(
        'redis-server',
        [
          '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
          '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
          '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction',
        ],
        { stdio: 'ignore' },
      );
      servers.push(server);
    }
    for (const port of ports) await waitFor(() => ping(port), 10_000, `redis-server on port ${port}`);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) await waitFor(() => clusterOk(port), 20_000, `the cluster state on port ${port} to be ok`);
    client = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
    await waitFor(async () => (client!.status === 'ready' ? true : undefined), 10_000, 'a cluster client to be ready');
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: ports.map((port) => `127.0.0.1:${port}`).join(','), ports, client, stop };
}

/** Every key of the cluster that matches, from every primary. */
export async function clusterKeys(cluster: Cluster, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for (const node of cluster.nodes('master')) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `Port ${port} on 127.0.0.1 is taken: the Redis Cluster test needs ports ${CLUSTER_PORTS.join(', ')} free. Stop whatever listens there and run it again.`
            : `Cannot probe port ${port}: ${error.message}`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
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

async function clusterOk(port: number): Promise<true | undefined> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  try {
    await probe.connect();
    const info = (await probe.call('CLUSTER', 'INFO')) as string;
    return info.includes('cluster_state:ok') ? true : undefined;
  } catch {
    return undefined;
  } finally {
    probe.disconnect();
  }
}
