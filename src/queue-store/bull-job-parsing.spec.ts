import { readFreshJobsWithoutThrowing } from './bull-job-parsing';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the class the service patches, as Bull's queue calls it
const BullJob = require('bull/lib/job') as { fromJSON(queue: unknown, json: object, jobId?: string): { stacktrace: string[]; data: unknown } };

/** Job.fromJSON needs only a queue's key function. */
const queue = { toKey: (key: string) => `bull:test:${key}` };
const freshJob = () => ({ id: '7', name: '__default__', data: '{"a":1}', opts: '{"attempts":3}', timestamp: '1', delay: '0', priority: '3' });

/** Errors JSON.parse threw (and Bull caught) while `read` ran. */
function parseErrorsDuring(read: () => void): number {
  const parse = JSON.parse;
  let thrown = 0;
  JSON.parse = ((text: string, reviver?: (key: string, value: unknown) => unknown) => {
    try {
      return parse(text, reviver);
    } catch (error) {
      thrown += 1;
      throw error;
    }
  }) as typeof JSON.parse;
  try {
    read();
  } finally {
    JSON.parse = parse;
  }
  return thrown;
}

describe('Bull job parsing', () => {
  beforeAll(() => readFreshJobsWithoutThrowing());

  it('reads a job that never failed without a parse error, its stack trace empty', () => {
    let job: { stacktrace: string[]; data: unknown } | undefined;
    expect(parseErrorsDuring(() => (job = BullJob.fromJSON(queue, freshJob())))).toBe(0);
    expect(job!.stacktrace).toEqual([]);
    expect(job!.data).toEqual({ a: 1 });
  });

  it('keeps the stack traces of a job that failed', () => {
    const job = BullJob.fromJSON(queue, { ...freshJob(), stacktrace: JSON.stringify(['Error: boom']) });
    expect(job.stacktrace).toEqual(['Error: boom']);
  });

  it('is applied once, however often the Bull module is configured', () => {
    const patched = BullJob.fromJSON;
    readFreshJobsWithoutThrowing();
    expect(BullJob.fromJSON).toBe(patched);
  });
});
