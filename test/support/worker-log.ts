/** One JSON log line of a job attempt, as a worker process (pino) writes it. */
export interface JobLogLine {
  msg: string;
  jobId: string;
  type: string;
  queue: string;
  attempt: number;
}

/** The job lines with this message (`Job started`, `Job completed`, …) in a process's output. */
export function jobLogLines(output: string, msg: string): JobLogLine[] {
  const lines: JobLogLine[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{') || !line.includes(`"msg":"${msg}"`)) continue;
    const parsed = JSON.parse(line) as Partial<JobLogLine>;
    if (parsed.msg === msg && parsed.jobId) lines.push(parsed as JobLogLine);
  }
  return lines;
}

/** How many times each key occurs. */
export function occurrences<T>(items: T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}
