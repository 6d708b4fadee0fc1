/**
 * Bull 4 reads every job it fetches with `Job.fromJSON`, which parses the job's `stacktrace`
 * field by `JSON.parse` inside a try/catch. A job that never failed has no such field, so each
 * fetch of a fresh job threw and caught a SyntaxError: 6% of the process CPU in a profile of
 * a background drain (README, Performance, eighth round). A job hash without the field is read
 * as one with an empty list, which is what Bull makes of it anyway.
 */
interface BullJobHash {
  stacktrace?: string;
}

interface BullJobClass {
  fromJSON(queue: unknown, json: BullJobHash, jobId?: string): unknown;
  __stacktraceDefaulted?: true;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- Bull's Job class is not in its typed exports (bull/lib/job.js, 4.x)
const BullJob = require('bull/lib/job') as BullJobClass;

export function readFreshJobsWithoutThrowing(): void {
  if (BullJob.__stacktraceDefaulted) return;
  const fromJSON = BullJob.fromJSON.bind(BullJob);
  BullJob.fromJSON = (queue, json, jobId) => {
    if (json && !json.stacktrace) json.stacktrace = '[]';
    return fromJSON(queue, json, jobId);
  };
  BullJob.__stacktraceDefaulted = true;
}
