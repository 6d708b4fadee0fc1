import type { FuzzResponse } from './http-client';
import type { FuzzCase } from './request-arbitraries';

export interface Outcome {
  phase: string;
  index: number;
  fuzz: FuzzCase;
  response: FuzzResponse;
  problem?: string;
}

/** Requests by route (rows) and status (columns). */
export function statusTable(outcomes: Outcome[]): string {
  const statuses = [...new Set(outcomes.map((outcome) => outcome.response.status))].sort((x, y) => x - y);
  const byRoute = new Map<string, Map<number, number>>();
  for (const { fuzz, response } of outcomes) {
    const row = byRoute.get(fuzz.request.route) ?? new Map<number, number>();
    row.set(response.status, (row.get(response.status) ?? 0) + 1);
    byRoute.set(fuzz.request.route, row);
  }
  const header = ['route', ...statuses.map(String), 'total'];
  const rows = [...byRoute.entries()].sort(([x], [y]) => x.localeCompare(y)).map(([route, row]) => [
    route, ...statuses.map((status) => String(row.get(status) ?? '')), String([...row.values()].reduce((sum, count) => sum + count, 0)),
  ]);
  const totals = ['all routes', ...statuses.map((status) => String(outcomes.filter((outcome) => outcome.response.status === status).length)), String(outcomes.length)];
  const table = [header, ...rows, totals];
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line), line(totals)].join('\n');
}

const excerpt = (text: string | undefined, length = 300) => {
  if (text === undefined) return '(none)';
  const shown = JSON.stringify(text.length > length ? `${text.slice(0, length)}…(${text.length} chars)` : text);
  return shown;
};

/** One failing request, precisely enough to reproduce it and find its cause in the log. */
export function describeFailure(outcome: Outcome, logLines: string[]): string {
  const { fuzz, response } = outcome;
  return [
    `- [${outcome.phase} #${outcome.index}] ${outcome.problem}`,
    `  ${fuzz.request.method} ${fuzz.request.path}  as ${fuzz.principal.name}`,
    `  headers: ${excerpt(JSON.stringify(Object.fromEntries(Object.entries(fuzz.request.headers).filter(([name]) => name !== 'authorization'))))}`,
    `  body: ${excerpt(fuzz.request.body)}`,
    `  answer ${response.status} in ${response.ms} ms (request id ${response.requestId ?? '-'}): ${excerpt(response.text)}`,
    ...logLines.slice(0, 3).map((line) => `  log: ${excerpt(line, 2000)}`),
  ].join('\n');
}
