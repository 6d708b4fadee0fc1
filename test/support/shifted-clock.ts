import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait-for';

interface ShiftedClockModule {
  installShiftedDate: (scope: typeof globalThis, offsetOf: () => number) => void;
  restoreRealDate: (scope: typeof globalThis) => void;
}

const PRELOAD = join(__dirname, 'shifted-clock-preload.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const preload = require(PRELOAD) as ShiftedClockModule;

/**
 * One clock for a test file and the worker processes it starts (shifted-clock-preload.js): start
 * the workers with `workerEnv`, then `shiftTo(at)` moves this file's Date and theirs by the same
 * offset, so that it reads `at` now everywhere, and resolves once each worker has taken it.
 */
export class SharedShiftedClock {
  private readonly dir = mkdtempSync(join(tmpdir(), 'shifted-clock-'));
  private readonly file = join(this.dir, 'offset');
  private offsetMs = 0;

  readonly workerEnv: Record<string, string> = { NODE_OPTIONS: `--require ${PRELOAD}`, TEST_CLOCK_OFFSET_FILE: this.file };

  constructor() {
    preload.installShiftedDate(globalThis, () => this.offsetMs);
  }

  async shiftTo(at: Date, workerPids: number[]): Promise<void> {
    const offsetMs = at.getTime() - (Date.now() - this.offsetMs);
    writeFileSync(this.file, String(offsetMs));
    this.offsetMs = offsetMs;
    await waitFor(async () => (workerPids.every((pid) => this.ackOf(pid) === offsetMs) ? true : undefined), 10_000, 'every worker to take the shifted clock');
  }

  /** Back to the real time, here; worker processes keep theirs until they stop. */
  restore(): void {
    preload.restoreRealDate(globalThis);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private ackOf(pid: number): number | undefined {
    try {
      return Number(readFileSync(`${this.file}.ack-${pid}`, 'utf8'));
    } catch {
      return undefined;
    }
  }
}
