import { Agent, request } from 'node:http';

export interface FuzzRequest {
  method: string;
  /** The document's path template, for the table. */
  route: string;
  /** Path and query, already encoded. */
  path: string;
  headers: Record<string, string>;
  /** The raw body (JSON or deliberately not). */
  body?: string;
}

export interface FuzzResponse {
  status: number;
  text: string;
  requestId?: string;
  ms: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const MAX_KEPT_BODY = 1024 * 1024;

/** Sends one request to the app on loopback; a transport failure is status 0 with the error as text. */
export function send(port: number, fuzz: FuzzRequest, timeoutMs = 30_000): Promise<FuzzResponse> {
  const started = Date.now();
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...fuzz.headers };
    if (fuzz.body !== undefined) headers['content-length'] = Buffer.byteLength(fuzz.body);
    let settled = false;
    const finish = (response: Omit<FuzzResponse, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...response, ms: Date.now() - started });
    };
    let outgoing;
    try {
      outgoing = request({ host: '127.0.0.1', port, method: fuzz.method, path: fuzz.path, headers, agent, timeout: timeoutMs }, (incoming) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        incoming.on('data', (chunk: Buffer) => {
          if (kept < MAX_KEPT_BODY) chunks.push(chunk);
          kept += chunk.length;
        });
        incoming.on('end', () => finish({
          status: incoming.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          requestId: incoming.headers['x-request-id'] as string | undefined,
        }));
        incoming.on('error', (error) => finish({ status: 0, text: `response error: ${error.message}` }));
      });
    } catch (error) {
      finish({ status: -1, text: `not sendable: ${(error as Error).message}` });
      return;
    }
    outgoing.on('timeout', () => {
      outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    outgoing.on('error', (error) => finish({ status: 0, text: `transport error: ${error.message}` }));
    outgoing.end(fuzz.body);
  });
}

export function closeClient(): void {
  agent.destroy();
}
