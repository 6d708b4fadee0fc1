'use strict';
/**
 * A shifted clock for e2e tests: `Date.now()` and `new Date()` answer the real time plus an
 * offset; every other use of Date (parsing, a given time) is unchanged, and timers are not
 * touched. Loaded with `node --require` (NODE_OPTIONS) into worker processes, which read the
 * offset from TEST_CLOCK_OFFSET_FILE (polled, so a test can move the clock of processes that are
 * already up) and acknowledge each offset they adopt in `<file>.ack-<pid>`. shifted-clock.ts
 * installs the same Date in a test file's own context, so every process of a test agrees on the
 * time (Bull's tick times and delays, JWT iat and exp).
 *
 * Plain JavaScript: NODE_OPTIONS' --require runs before ts-node is registered.
 */
const { readFileSync, writeFileSync } = require('node:fs');

const POLL_MS = 20;

function installShiftedDate(scope, offsetOf) {
  const RealDate = scope.__realDate || scope.Date;
  function ShiftedDate(...args) {
    if (!new.target) return new RealDate(RealDate.now() + offsetOf()).toString();
    return args.length ? new RealDate(...args) : new RealDate(RealDate.now() + offsetOf());
  }
  // Instances stay real Dates: `instanceof Date` holds in both directions.
  ShiftedDate.prototype = RealDate.prototype;
  ShiftedDate.now = () => RealDate.now() + offsetOf();
  ShiftedDate.parse = RealDate.parse;
  ShiftedDate.UTC = RealDate.UTC;
  Object.defineProperty(scope, '__realDate', { value: RealDate, configurable: true, writable: true });
  scope.Date = ShiftedDate;
}

function restoreRealDate(scope) {
  if (scope.__realDate) scope.Date = scope.__realDate;
}

function followOffsetFile(file) {
  let offset = 0;
  const poll = () => {
    let next;
    try {
      next = Number(readFileSync(file, 'utf8'));
    } catch {
      return; // not written yet
    }
    if (!Number.isFinite(next) || next === offset) return;
    offset = next;
    writeFileSync(`${file}.ack-${process.pid}`, String(offset));
  };
  poll();
  setInterval(poll, POLL_MS).unref();
  installShiftedDate(globalThis, () => offset);
}

if (process.env.TEST_CLOCK_OFFSET_FILE) followOffsetFile(process.env.TEST_CLOCK_OFFSET_FILE);

module.exports = { installShiftedDate, restoreRealDate };
