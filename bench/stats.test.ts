/** `npm run bench:test`: the bench's own helpers (node:test; the bench stays out of Jest). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, percentile, spread } from './stats';
import { cpuWindow } from './cpu-usage';
import { packageOf } from './profile';

test('percentile is nearest-rank over unsorted values', () => {
  const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.equal(percentile(values, 50), 5);
  assert.equal(percentile(values, 99), 10);
  assert.equal(percentile(values, 0), 1);
  assert.equal(percentile(values, 100), 10);
  assert.equal(percentile([42], 99), 42);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.deepEqual(values, [5, 1, 4, 2, 3, 10, 9, 8, 7, 6], 'the input is not sorted in place');
});

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('spread gives the median with min and max, ignoring failed (non-finite) runs', () => {
  assert.deepEqual(spread([30, 10, 20]), { median: 20, min: 10, max: 30, runs: [30, 10, 20] });
  assert.deepEqual(spread([5, Number.NaN, 7]), { median: 6, min: 5, max: 7, runs: [5, Number.NaN, 7] });
});

test('profile frames are grouped by package, service folder or runtime', () => {
  assert.equal(packageOf('file:///work/main/node_modules/@nestjs/core/router/router-execution-context.js', 'f'), '@nestjs/core');
  assert.equal(packageOf('/work/main/node_modules/pg/lib/client.js', 'query'), 'pg');
  assert.equal(packageOf('/work/wt-bench/bench/.build/src/jobs/job-runner.js', 'run'), 'service src/jobs');
  assert.equal(packageOf('node:internal/streams/writable', 'write'), 'node:internal');
  assert.equal(packageOf('', '(garbage collector)'), '(garbage collector)');
  assert.equal(packageOf('', 'writev'), '(native)');
});

test('cpuWindow charges the measured process with the CPU it spent, and not PostgreSQL or Redis', () => {
  const window = cpuWindow(process.pid);
  const until = performance.now() + 300;
  let spin = 0;
  while (performance.now() < until) spin += 1;
  const use = window.stop();
  assert.ok(spin > 0);
  // 300 ms of spinning, counted in 10 ms ticks; a loaded machine may take some of it away.
  assert.ok(use.processMs >= 150 && use.processMs <= 400, `process ${use.processMs} ms`);
});
