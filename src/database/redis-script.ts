import { createHash } from 'node:crypto';
import type { RedisCommander } from 'ioredis';

type ScriptRunner = Pick<RedisCommander, 'eval' | 'evalsha'>;

/**
 * A Lua script sent by its SHA1 (EVALSHA): the text goes over the wire, and is hashed by Redis,
 * only when a server does not have it yet (NOSCRIPT: a restart, a failover, another cluster
 * node, SCRIPT FLUSH), and then once. Keys get the client's prefix as with any command.
 */
export class RedisScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: ScriptRunner, keys: string[], args: (string | number)[] = []): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
