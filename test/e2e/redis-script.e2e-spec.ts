import Redis from 'ioredis';
import { RedisScript } from '../../src/database/redis-script';
import { startScratchRedis, ScratchRedis } from '../support/scratch-redis';

/** Scripts go by SHA1 and fall back to their text when a server lacks them (a restart, SCRIPT FLUSH). */
describe('RedisScript', () => {
  let redis: ScratchRedis;
  let client: Redis;

  beforeAll(async () => {
    // A server of its own: SCRIPT FLUSH and the command counts must not touch other files' Redis.
    redis = await startScratchRedis();
    client = new Redis(redis.url, { keyPrefix: 'svc:' });
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  const calls = async (command: string) => {
    const stats = await redis.client.info('commandstats');
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  };
  const echo = new RedisScript(`redis.call('SET', KEYS[1], ARGV[1]) return {KEYS[1], redis.call('GET', KEYS[1])}`);

  it('sends the text once, then only the SHA1, and again once after the server forgot it', async () => {
    expect(await echo.run(client, ['k'], ['one'])).toEqual(['svc:k', 'one']);
    const evalsAfterFirst = await calls('eval');
    expect(evalsAfterFirst).toBe(1);

    expect(await echo.run(client, ['k'], ['two'])).toEqual(['svc:k', 'two']);
    expect(await calls('eval')).toBe(evalsAfterFirst);

    await redis.client.script('FLUSH');
    expect(await echo.run(client, ['k'], ['three'])).toEqual(['svc:k', 'three']);
    expect(await calls('eval')).toBe(evalsAfterFirst + 1);
    expect(await redis.client.get('svc:k')).toBe('three');
  });

  it("passes a script's own error on, without running it a second time", async () => {
    const failing = new RedisScript(`redis.call('INCR', KEYS[1]) return redis.error_reply('ERR refused by the script')`);
    await expect(failing.run(client, ['counter'])).rejects.toThrow('ERR refused by the script');
    await expect(failing.run(client, ['counter'])).rejects.toThrow('ERR refused by the script');
    expect(await redis.client.get('svc:counter')).toBe('2');
  });
});
