import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in ticks of 10 ms on every architecture Node runs on. */
const MS_PER_TICK = 10;

export interface CpuUse {
  /** The measured process (the service, or the hand-written pipeline). */
  processMs: number;
  /** Every `postgres` process: the backends of every client, the bench's own few queries included. */
  postgresMs: number;
  redisMs: number;
}

interface Sample { comm: string; ticks: number }

function sampleAll(): Map<number, Sample> {
  const samples = new Map<number, Sample>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may itself hold spaces and parentheses.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      samples.set(Number(entry), { comm, ticks: Number(fields[11]) + Number(fields[12]) }); // utime + stime
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return samples;
}

/**
 * CPU time the measured process, PostgreSQL and Redis spend over a window, all on this machine:
 * per process, the difference between two /proc samples (a process started in the window counts
 * from zero; one that ended in it is lost, which pooled connections' backends do not do).
 */
export function cpuWindow(pid: number): { stop(): CpuUse } {
  const before = sampleAll();
  return {
    stop() {
      const use: CpuUse = { processMs: 0, postgresMs: 0, redisMs: 0 };
      for (const [id, after] of sampleAll()) {
        const ms = (after.ticks - (before.get(id)?.ticks ?? 0)) * MS_PER_TICK;
        if (id === pid) use.processMs += ms;
        else if (after.comm.startsWith('postgres')) use.postgresMs += ms;
        else if (after.comm.startsWith('redis-server')) use.redisMs += ms;
      }
      return use;
    },
  };
}
