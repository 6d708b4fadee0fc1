import { AppConfig } from './app-config';
import { InvalidEnvironmentError, validateEnvironment } from './environment';
import { QUEUE_DEFINITIONS } from './queues.config';

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    validateEnvironment(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    return (error as InvalidEnvironmentError).problems;
  }
  throw new Error('validateEnvironment accepted an invalid environment');
}

describe('scale-out configuration', () => {
  it('defaults each queue’s worker concurrency and reads WORKER_CONCURRENCY_<QUEUE>', () => {
    expect(new AppConfig(validateEnvironment({})).workerConcurrency).toEqual({
      money: QUEUE_DEFINITIONS.money.concurrency,
      communication: QUEUE_DEFINITIONS.communication.concurrency,
      background: QUEUE_DEFINITIONS.background.concurrency,
    });
    const config = new AppConfig(validateEnvironment({ WORKER_CONCURRENCY_MONEY: '25', WORKER_CONCURRENCY_BACKGROUND: '1' }));
    expect(config.workerConcurrency).toEqual({ money: 25, communication: QUEUE_DEFINITIONS.communication.concurrency, background: 1 });
  });

  it('refuses a concurrency that is not a whole number from 1 to 500, naming the variable', () => {
    const problems = problemsOf({ WORKER_CONCURRENCY_MONEY: '0', WORKER_CONCURRENCY_COMMUNICATION: '2.5', WORKER_CONCURRENCY_BACKGROUND: '501' });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'WORKER_CONCURRENCY_BACKGROUND',
      'WORKER_CONCURRENCY_COMMUNICATION',
      'WORKER_CONCURRENCY_MONEY',
    ]);
  });

  it('runs on a single Redis unless REDIS_CLUSTER_NODES lists the cluster’s seed nodes', () => {
    expect(new AppConfig(validateEnvironment({})).redis.clusterNodes).toBeUndefined();
    const config = new AppConfig(validateEnvironment({ REDIS_CLUSTER_NODES: '127.0.0.1:7101, redis-b.internal:7102,[::1]:7103' }));
    expect(config.redis.clusterNodes).toEqual([
      { host: '127.0.0.1', port: 7101 },
      { host: 'redis-b.internal', port: 7102 },
      { host: '::1', port: 7103 },
    ]);
  });

  it.each(['127.0.0.1', '127.0.0.1:7101,', 'redis://127.0.0.1:7101', 'host:99999', 'a b:1'])('refuses REDIS_CLUSTER_NODES=%s', (nodes) => {
    expect(problemsOf({ REDIS_CLUSTER_NODES: nodes })).toEqual([expect.stringMatching(/^REDIS_CLUSTER_NODES: .*host:port/)]);
  });
});
