import { createServer, connect, Server, Socket } from 'node:net';

/**
 * Counting TCP proxies between a measured process and PostgreSQL or Redis: they read only what
 * the client sends, so the counts are that process's own statements and commands, untouched by
 * the other sessions sharing the servers.
 */
export interface WireCounter {
  port: number;
  counts: Record<string, number>;
  reset(): void;
  close(): Promise<void>;
}

type Feed = (chunk: Buffer) => void;

async function countingProxy(targetPort: number, parserFor: (counts: Record<string, number>) => Feed): Promise<WireCounter> {
  const counter = { counts: {} as Record<string, number> };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const feed = parserFor(counter.counts);
    sockets.add(client).add(upstream);
    // A round trip is a turn of the conversation: what the client sends after the server last
    // answered. Pipelined statements sent together, before any answer, are one.
    let serverAnswered = true;
    upstream.on('data', () => { serverAnswered = true; });
    client.on('data', (chunk: Buffer) => {
      if (serverAnswered) bump(counter.counts, 'roundTrips');
      serverAnswered = false;
      feed(chunk);
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy did not bind');
  return {
    port: address.port,
    get counts() { return counter.counts; },
    reset() { for (const key of Object.keys(counter.counts)) counter.counts[key] = 0; },
    close: () => new Promise<void>((resolve) => { for (const socket of sockets) socket.destroy(); server.close(() => resolve()); }),
  };
}

const bump = (counts: Record<string, number>, key: string, by = 1) => { counts[key] = (counts[key] ?? 0) + by; };

/**
 * PostgreSQL frontend messages: `Q` (a simple query), `P`/`E` (parse, execute: the extended
 * protocol). Statements are Q + E, named by
 * their first word; transactions are followed per connection from BEGIN/START to COMMIT/ROLLBACK.
 */
export function postgresCounter(targetPort = 5432): Promise<WireCounter> {
  return countingProxy(targetPort, (counts) => {
    let buffer: Buffer = Buffer.alloc(0);
    let started = false;
    let lastWord = '?';
    let inTransaction = false;
    // A statement outside BEGIN…COMMIT is a transaction of its own (autocommit).
    const statement = (word: string) => {
      bump(counts, 'statements');
      bump(counts, `sql:${word}`);
      if (word === 'BEGIN' || word === 'START') inTransaction = true;
      else if (word === 'COMMIT' || word === 'ROLLBACK' || word === 'END') { inTransaction = false; bump(counts, 'transactions'); }
      else if (!inTransaction) bump(counts, 'transactions');
    };
    return (chunk) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const code = buffer.readInt32BE(4);
          // SSL and GSS encryption requests come before the startup message proper.
          if (code !== 80877103 && code !== 80877104) started = true;
          buffer = buffer.subarray(length);
          continue;
        }
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0]);
        const length = buffer.readInt32BE(1) + 1;
        if (buffer.length < length) return;
        if (type === 'Q' || type === 'P') {
          // P carries the statement name first, then the text.
          const body = buffer.subarray(5, length);
          const text = (type === 'P' ? body.subarray(body.indexOf(0) + 1) : body).toString('utf8', 0, 60).trim().toUpperCase();
          lastWord = /^[A-Z_]+/.exec(text)?.[0] ?? '?';
          if (type === 'Q') statement(lastWord);
        }
        if (type === 'E') statement(lastWord);
        buffer = buffer.subarray(length);
      }
    };
  });
}

/** Redis commands as the client sends them (RESP arrays); a script (EVALSHA) counts once. */
export function redisCounter(targetPort = 6379): Promise<WireCounter> {
  return countingProxy(targetPort, (counts) => {
    let line = '';
    let state: 'array' | 'bulkHeader' | 'bulkBody' = 'array';
    let argumentsLeft = 0;
    let bulkLeft = 0;
    let first = true;
    let name = '';
    return (chunk) => {
      let at = 0;
      while (at < chunk.length) {
        if (state === 'bulkBody') {
          const take = Math.min(bulkLeft, chunk.length - at);
          if (first) name += chunk.toString('latin1', at, at + Math.min(take, Math.max(0, 24 - name.length)));
          bulkLeft -= take;
          at += take;
          if (bulkLeft > 0) continue;
          first = false;
          argumentsLeft -= 1;
          if (argumentsLeft === 0) {
            bump(counts, 'commands');
            bump(counts, `redis:${name.replace(/\r\n$/, '').toUpperCase()}`);
            state = 'array';
          } else state = 'bulkHeader';
          continue;
        }
        const newline = chunk.indexOf(10, at);
        if (newline === -1) { line += chunk.toString('latin1', at); return; }
        line += chunk.toString('latin1', at, newline + 1);
        at = newline + 1;
        const header = line.trim();
        line = '';
        if (state === 'array') {
          argumentsLeft = Number(header.slice(1));
          first = true;
          name = '';
          if (header[0] !== '*') { bump(counts, 'commands'); bump(counts, `redis:${header.split(' ')[0].toUpperCase()}`); continue; }
          state = argumentsLeft > 0 ? 'bulkHeader' : 'array';
        } else {
          bulkLeft = Number(header.slice(1)) + 2;
          state = 'bulkBody';
        }
      }
    };
  });
}
