import { Agent, request } from 'node:http';
import { percentile } from './stats';

export interface LoadResult {
  sent: number;
  accepted: number;
  failed: number;
  durationS: number;
  latencyP50: number;
  latencyP99: number;
}

export interface LoadOptions {
  url: string;
  token?: string;
  connections: number;
  durationS?: number;
  amount?: number;
  /** Offered requests per second over all connections; without it each connection sends as fast as it is answered. */
  overallRate?: number;
  /** The JSON body of request number `n` (each request its own order and idempotency key). */
  body: (n: number) => unknown;
}

/**
 * POSTs generated bodies over `connections` keep-alive connections, closed loop as autocannon
 * runs them: a connection sends its next request when the last is answered, at most at its
 * share of `overallRate`. (autocannon itself sends every connection's first request from one
 * shared buffer, which would repeat idempotency keys.) Latency is the HTTP answer as the client saw it.
 */
export async function postLoad(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const latencies: number[] = [];
  let sent = 0;
  let accepted = 0;
  let failed = 0;
  const started = performance.now();
  const deadline = options.durationS ? started + options.durationS * 1000 : Number.POSITIVE_INFINITY;
  const perConnectionGapMs = options.overallRate ? (1000 * options.connections) / options.overallRate : 0;
  const more = () => performance.now() < deadline && (options.amount === undefined || sent < options.amount);

  const send = (n: number) => new Promise<void>((resolve) => {
    const payload = Buffer.from(JSON.stringify(options.body(n)));
    const at = performance.now();
    const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { ...headers, 'content-length': String(payload.length) } }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - at);
        if (res.statusCode && res.statusCode >= 200 && res.statusCode < 300) accepted++; else failed++;
        resolve();
      });
    });
    req.on('error', () => { failed++; resolve(); });
    req.end(payload);
  });

  const connection = async (index: number) => {
    // Rate-limited connections start staggered so the offered load is even over each second.
    let next = started + (perConnectionGapMs * index) / options.connections;
    while (more()) {
      if (perConnectionGapMs) {
        const wait = next - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (!more()) break;
        next += perConnectionGapMs;
      }
      await send(sent++);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, (_, index) => connection(index)));
  const durationS = (performance.now() - started) / 1000;
  agent.destroy();
  return { sent, accepted, failed, durationS, latencyP50: percentile(latencies, 50), latencyP99: percentile(latencies, 99) };
}
