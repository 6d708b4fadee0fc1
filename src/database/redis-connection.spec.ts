import { reconnectDelayMs, redisOptionsFromUrl } from './redis-connection';

describe('redis connection options', () => {
  it('reads host, port, database and credentials from a URL', () => {
    expect(redisOptionsFromUrl('redis://127.0.0.1:6390')).toEqual({ host: '127.0.0.1', port: 6390 });
    expect(redisOptionsFromUrl('redis://cache')).toEqual({ host: 'cache', port: 6379 });
    expect(redisOptionsFromUrl('redis://user:p%40ss@cache:6380/2')).toEqual({
      host: 'cache', port: 6380, db: 2, username: 'user', password: 'p@ss',
    });
    expect(redisOptionsFromUrl('redis://:secret@cache')).toEqual({ host: 'cache', port: 6379, password: 'secret' });
    expect(redisOptionsFromUrl('rediss://cache')).toEqual({ host: 'cache', port: 6379, tls: {} });
  });

  it('reconnects soon after a loss and at most a second apart', () => {
    expect([1, 2, 5, 10, 50, 1000].map(reconnectDelayMs)).toEqual([100, 200, 500, 1000, 1000, 1000]);
  });
});
