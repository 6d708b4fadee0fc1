import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { RedisClient } from '../../src/database/redis.provider';
import { startTestApp, TestApp } from '../support/test-app';

/** Counts the socket writes of one ioredis connection while `work` runs. */
async function writesDuring(client: RedisClient, work: () => Promise<unknown>): Promise<number> {
  const stream = (client as unknown as Redis).stream as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  let writes = 0;
  const originals = { _write: stream._write, _writev: stream._writev };
  for (const method of ['_write', '_writev'] as const) {
    stream[method] = function counted(this: unknown, ...args: unknown[]) {
      writes += 1;
      return originals[method].apply(this, args);
    };
  }
  try {
    await work();
  } finally {
    Object.assign(stream, originals);
  }
  return writes;
}

describe("the service's own Redis connection", () => {
  let test: TestApp;
  let client: RedisClient;

  beforeAll(async () => {
    test = await startTestApp({ env: { APP_ROLE: 'api' } });
    client = test.app.get(RedisClient);
    await client.ping();
  });
  afterAll(() => test?.close());

  it('sends the commands of concurrent callers in one socket write, each answered in order', async () => {
    const key = `auto-pipelining:${randomUUID()}`;
    let answers: number[] = [];
    const writes = await writesDuring(client, async () => {
      answers = await Promise.all(Array.from({ length: 20 }, () => client.incr(key)));
    });
    expect(answers).toEqual(Array.from({ length: 20 }, (_, n) => n + 1));
    expect(writes).toBe(1);
  });

  it("fails only the command Redis refused, not the others sent with it", async () => {
    const text = `auto-pipelining:text:${randomUUID()}`;
    const counter = `auto-pipelining:counter:${randomUUID()}`;
    await client.set(text, 'not a number');
    const settled = await Promise.allSettled([client.incr(counter), client.incr(text), client.incr(counter)]);
    expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(settled[2]).toEqual({ status: 'fulfilled', value: 2 });
  });
});
