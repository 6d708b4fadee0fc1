import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { productionNodeFlags } from '../../bench/production-node-flags';

const DEPLOY = join(__dirname, '..', '..', 'deploy');
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => existsSync(path));

/** The service's metric names (the shared list of the metrics issue); histograms add their series suffixes. */
const METRICS = [
  'queue_jobs_completed_total', 'queue_jobs_failed_total', 'queue_jobs', 'queue_oldest_waiting_seconds', 'queue_dlq_entries',
  'queue_payments_total', 'queue_payment_amount_minor_total', 'queue_refunds_total', 'queue_refund_amount_minor_total',
  'queue_nft_mints_total', 'queue_emails_total', 'queue_sms_total', 'queue_webhook_deliveries_total',
  'queue_provider_token_waits_total', 'queue_circuit_breaker_state', 'queue_emergency_stop', 'http_requests_total', 'http_requests_shed_total',
];
const HISTOGRAMS = ['queue_job_duration_seconds', 'queue_job_wait_seconds', 'http_request_duration_seconds'];
const KNOWN = new Set([...METRICS, ...HISTOGRAMS.flatMap((name) => ['_bucket', '_sum', '_count'].map((suffix) => name + suffix))]);
/** prom-client's collectDefaultMetrics. */
const DEFAULT_METRIC = /^(process|nodejs)_[a-z0-9_]+$/;
const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset']);

/** The metric names a PromQL expression reads: identifiers that are neither functions, keywords, labels nor strings. */
function metricsOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  return [...bare.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g)]
    .filter(([, name, call]) => !call && !PROMQL_WORDS.has(name) && !/^\d/.test(name))
    .map(([, name]) => name);
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string }[];
}

describe('deploy/grafana/queue-service.json', () => {
  const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'queue-service.json'), 'utf8')) as {
    uid: string; title: string; schemaVersion: number; panels: Panel[];
  };
  const charts = dashboard.panels.filter((panel) => panel.type !== 'row');

  it('is a dashboard with a uid, and panels with unique ids that fit the 24-column grid', () => {
    expect(dashboard).toMatchObject({ uid: 'queue-service', title: 'Queue Service', schemaVersion: expect.any(Number) });
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { gridPos, title } of dashboard.panels) expect({ title, fits: gridPos.x + gridPos.w <= 24 }).toEqual({ title, fits: true });
  });

  it('reads only the service’s metrics in every panel', () => {
    const unknown = charts.flatMap((panel) =>
      (panel.targets ?? []).flatMap(({ expr }) => metricsOf(expr).filter((name) => !KNOWN.has(name) && !DEFAULT_METRIC.test(name)).map((name) => `${panel.title}: ${name}`)),
    );
    expect(unknown).toEqual([]);
    expect(charts.filter((panel) => !panel.targets?.length).map((panel) => panel.title)).toEqual([]);
  });

  it('charts throughput, failures by error type, durations, depth, oldest waiting, DLQ, breakers, emergency stop and HTTP', () => {
    const read = new Set(charts.flatMap((panel) => (panel.targets ?? []).flatMap(({ expr }) => metricsOf(expr))));
    for (const name of [
      'queue_jobs_completed_total', 'queue_jobs_failed_total', 'queue_job_duration_seconds_bucket', 'queue_jobs',
      'queue_oldest_waiting_seconds', 'queue_dlq_entries', 'queue_circuit_breaker_state', 'queue_emergency_stop',
      'http_requests_total', 'http_request_duration_seconds_bucket',
    ]) expect(read).toContain(name);
    const failures = charts.flatMap((panel) => panel.targets ?? []).map(({ expr }) => expr).filter((expr) => expr.includes('queue_jobs_failed_total'));
    expect(failures.some((expr) => /by \(error_type\)/.test(expr))).toBe(true);
  });

  it('finds the metric names of an expression (and only those)', () => {
    expect(metricsOf('histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{route!~"/x"}[5m])))'))
      .toEqual(['http_request_duration_seconds_bucket']);
    expect(metricsOf('sum(rate(a_total[5m])) / (sum(rate(b_total[5m])) + 1) > 0.1')).toEqual(['a_total', 'b_total']);
  });
});

describe('deploy/prometheus/alerts.yml', () => {
  const rules = readFileSync(join(DEPLOY, 'prometheus', 'alerts.yml'), 'utf8');

  it('reads only the service’s metrics', () => {
    const exprs = [...rules.matchAll(/^\s+expr: (.+)$/gm)].map(([, expr]) => expr);
    expect(exprs.length).toBeGreaterThanOrEqual(7);
    expect(exprs.flatMap(metricsOf).filter((name) => !KNOWN.has(name))).toEqual([]);
  });

  it('alerts on queue depth, failure rate, oldest waiting, DLQ growth, an open breaker, an emergency stop left on and shed requests', () => {
    const alerts = [...rules.matchAll(/^\s+- alert: (\S+)$/gm)].map(([, name]) => name);
    expect(alerts).toEqual(expect.arrayContaining([
      'QueueBacklogHigh', 'JobFailureRateHigh', 'OldestWaitingJobTooOld', 'DeadLetterQueueGrowing', 'CircuitBreakerOpen', 'EmergencyStopLeftOn', 'RequestsShed',
    ]));
  });

  // Debian's package `prometheus` ships promtool; .ci/run installs it. Without it these say so and pass unrun.
  const promtool = (...args: string[]) => execFileSync(PROMTOOL!, args, { cwd: join(DEPLOY, 'prometheus'), encoding: 'utf8', stdio: 'pipe' });

  it('passes promtool check rules', () => {
    if (!PROMTOOL) return console.warn('promtool is absent: `promtool check rules` skipped (apt-get install prometheus)');
    expect(promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes its promtool unit tests (alerts.test.yml: the breaker and the backlog rules fire when, and only when, they should)', () => {
    if (!PROMTOOL) return console.warn('promtool is absent: `promtool test rules` skipped (apt-get install prometheus)');
    expect(promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
  });
});

describe('the production command', () => {
  it('gives node the same flags (the heap limit) in the Dockerfile as in `npm run start:prod`, which the bench runs', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(__dirname, '..', '..', 'Dockerfile'), 'utf8'));
    expect(cmd).not.toBeNull();
    const [node, ...args] = JSON.parse(cmd![1]) as string[];
    expect(node).toBe('node');
    expect(args.filter((word) => word.startsWith('--'))).toEqual(productionNodeFlags());
    expect(productionNodeFlags()).toContainEqual(expect.stringMatching(/^--max-old-space-size=\d+$/));
  });
});
