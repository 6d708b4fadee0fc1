import type { Spread } from './stats';

type Figures = Record<string, Spread>;
interface Report {
  mode: string;
  startedAt: string;
  durationS: number;
  machine: { cpus: number; loadAverage1m: Spread; node: string };
  drain?: Record<'analytics' | 'rawBullBackground' | 'payment' | 'rawBullMoney', Figures> & { concurrency?: { background: number; money: number } };
  lifecycle?: Record<'service' | 'pipeline', Figures>;
  latency?: Record<'analytics' | 'payment' | 'pipeline', Figures>;
  latencySplit?: Record<'analytics' | 'payment', Figures>;
  rss?: { backlog: number; peakMb: number; peakOverallMb: number; beforeMb: number; afterMb: number; processed: number };
  instrumented?: {
    counts: Record<string, { idleStatementsPerS: number; idleRedisPerS: number; statements: number; transactions: number; roundTrips: number; redisCommands: number; sql: Record<string, number>; redis: Record<string, number> }>;
    profile?: { totalMs: number; jobs: number; byPackage: { name: string; selfMs: number; msPerJob: number; share: number }[] };
  };
}

const round = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2));
/** `median (min–max)`; just the median when there was one run. */
export function cell(figure: Spread | undefined): string {
  if (!figure || !Number.isFinite(figure.median)) return 'n/a';
  return figure.runs.length > 1 ? `${round(figure.median)} (${round(figure.min)}–${round(figure.max)})` : round(figure.median);
}
const ratio = (ours: Spread | undefined, theirs: Spread | undefined) =>
  ours && theirs && theirs.median ? `${(ours.median / theirs.median).toFixed(2)}×` : 'n/a';

/** CPU per job of the three processes together, medians added (the ratio's inputs). */
function sumOf(figures: Figures): Spread | undefined {
  const parts = [figures.processCpuMsPerJob, figures.postgresCpuMsPerJob, figures.redisCpuMsPerJob];
  if (parts.some((part) => !part)) return undefined;
  const median = parts.reduce((total, part) => total + part.median, 0);
  return { median, min: median, max: median, runs: [median] };
}

/** The one table the bench prints (Markdown, so it can go straight into the README). */
export function renderTable(report: Report): string {
  const rows: string[][] = [];
  const { drain, lifecycle, latency, latencySplit, rss, instrumented } = report;
  if (drain) {
    rows.push(['1 drain jobs/s', `analytics-process (conc. ${drain.concurrency?.background ?? '?'})`, cell(drain.analytics.drainPerS), `raw Bull ${cell(drain.rawBullBackground.drainPerS)}`, ratio(drain.analytics.drainPerS, drain.rawBullBackground.drainPerS), '≥ 0.7×']);
    rows.push(['1 drain jobs/s', `payment-process (conc. ${drain.concurrency?.money ?? '?'})`, cell(drain.payment.drainPerS), `raw Bull ${cell(drain.rawBullMoney.drainPerS)}`, ratio(drain.payment.drainPerS, drain.rawBullMoney.drainPerS), '≥ 0.2×']);
  }
  if (lifecycle) {
    rows.push(['2 HTTP lifecycle jobs/s (50 conn.)', 'payment-process completed', cell(lifecycle.service.completedPerS), `pipeline ${cell(lifecycle.pipeline.completedPerS)}`, ratio(lifecycle.service.completedPerS, lifecycle.pipeline.completedPerS), '≥ 1.5×']);
    rows.push(['2 HTTP lifecycle', 'accepted/s', cell(lifecycle.service.acceptedPerS), `pipeline ${cell(lifecycle.pipeline.acceptedPerS)}`, ratio(lifecycle.service.acceptedPerS, lifecycle.pipeline.acceptedPerS), '']);
    const cpu = (figures: Figures) => `${cell(figures.processCpuMsPerJob)} / ${cell(figures.postgresCpuMsPerJob)} / ${cell(figures.redisCpuMsPerJob)}`;
    rows.push(['2 HTTP lifecycle', 'CPU ms per job: process / PostgreSQL / Redis', cpu(lifecycle.service), `pipeline ${cpu(lifecycle.pipeline)}`,
      ratio(sumOf(lifecycle.service), sumOf(lifecycle.pipeline)), '']);
    rows.push(['2 HTTP lifecycle', 'HTTP p50 / p99 ms', `${cell(lifecycle.service.httpP50)} / ${cell(lifecycle.service.httpP99)}`, `pipeline ${cell(lifecycle.pipeline.httpP50)} / ${cell(lifecycle.pipeline.httpP99)}`, '', '']);
  }
  if (drain) {
    rows.push(['3 POST /jobs/batch jobs/s', 'payment-process, 1000/batch', cell(drain.payment.batchPerS), `addBulk ${cell(drain.rawBullMoney.addBulkPerS)}`, ratio(drain.payment.batchPerS, drain.rawBullMoney.addBulkPerS), '≥ 0.5×']);
    rows.push(['3 POST /jobs/batch jobs/s', 'analytics-process, 1000/batch', cell(drain.analytics.batchPerS), `addBulk ${cell(drain.rawBullBackground.addBulkPerS)}`, ratio(drain.analytics.batchPerS, drain.rawBullBackground.addBulkPerS), '≥ 0.5×']);
  }
  if (latency) {
    for (const [name, figures] of [['analytics-process', latency.analytics], ['payment-process', latency.payment], ['hand-written pipeline', latency.pipeline]] as const) {
      rows.push([`4 at 500/s offered (${name})`, 'accepted/s', cell(figures.acceptedPerS), '', '', name === 'hand-written pipeline' ? '' : '500/s']);
      rows.push([`4 at 500/s offered (${name})`, 'HTTP ack p50 / p99 ms', `${cell(figures.ackP50)} / ${cell(figures.ackP99)}`, '', '', '']);
      rows.push([`4 at 500/s offered (${name})`, 'enqueue→start p50 / p99 ms', `${cell(figures.startP50)} / ${cell(figures.startP99)}`, '', '', name === 'analytics-process' ? 'p99 ≤ 25 ms' : '']);
      rows.push([`4 at 500/s offered (${name})`, 'enqueue→complete p50 / p99 ms', `${cell(figures.completeP50)} / ${cell(figures.completeP99)}`,
        name === 'payment-process' ? `pipeline p99 ${cell(latency.pipeline.completeP99)}` : '', name === 'payment-process' ? ratio(figures.completeP99, latency.pipeline.completeP99) : '', name === 'payment-process' ? '≤ 1× pipeline' : '']);
    }
  }
  if (latencySplit) {
    for (const [name, figures] of [['analytics-process', latencySplit.analytics], ['payment-process', latencySplit.payment]] as const) {
      const section = `4 at 500/s offered, APP_ROLE=api + worker (${name})`;
      rows.push([section, 'accepted/s', cell(figures.acceptedPerS), '', '', '500/s']);
      rows.push([section, 'HTTP ack p50 / p99 ms', `${cell(figures.ackP50)} / ${cell(figures.ackP99)}`, '', '', '']);
      rows.push([section, 'enqueue→start p50 / p99 ms', `${cell(figures.startP50)} / ${cell(figures.startP99)}`, '', '', name === 'analytics-process' ? 'p99 ≤ 25 ms' : '']);
      rows.push([section, 'enqueue→complete p50 / p99 ms', `${cell(figures.completeP50)} / ${cell(figures.completeP99)}`,
        name === 'payment-process' && latency ? `pipeline p99 ${cell(latency.pipeline.completeP99)}` : '', name === 'payment-process' && latency ? ratio(figures.completeP99, latency.pipeline.completeP99) : '', name === 'payment-process' ? '≤ 1× pipeline' : '']);
    }
  }
  if (rss) {
    rows.push(['5 RSS MB', `peak, ${rss.backlog}-job backlog`, round(rss.peakMb), '', '', '≤ 300']);
    rows.push(['5 RSS MB', `before / after ${rss.processed} jobs (peak ${round(rss.peakOverallMb)})`, `${round(rss.beforeMb)} / ${round(rss.afterMb)}`, '', '', 'no growth']);
  }
  if (instrumented) {
    for (const [name, counts] of Object.entries(instrumented.counts)) {
      rows.push(['6 per job', name, `SQL ${round(counts.statements)}, tx ${round(counts.transactions)}, pg round trips ${round(counts.roundTrips)}, Redis ${round(counts.redisCommands)}`,
        `idle: ${round(counts.idleStatementsPerS)} SQL/s, ${round(counts.idleRedisPerS)} Redis/s`, '', '']);
    }
  }
  const header = ['section', 'what', 'service', 'baseline', 'ratio', 'target'];
  const table = [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
  const profile = instrumented?.profile;
  const profileLines = profile
    ? ['', `CPU profile of the service over the HTTP lifecycle (${profile.jobs} jobs, ${round(profile.totalMs / profile.jobs)} ms CPU/job, idle excluded):`,
      ...profile.byPackage.map((line) => `  ${line.name.padEnd(40)} ${round(line.msPerJob).padStart(6)} ms/job  ${(line.share * 100).toFixed(1)}%`)]
    : [];
  return [
    `Bench (${report.mode}), ${report.startedAt}, ${report.durationS.toFixed(0)} s, ${report.machine.cpus} CPUs, Node ${report.machine.node}, load average (1 min) ${cell(report.machine.loadAverage1m)}`,
    '', table, ...profileLines,
  ].join('\n');
}
