import { stringify } from 'csv-stringify/sync';
import type { DeadLetterView } from './dto/dlq-views.dto';
import type { ExportFormat } from './dto/dlq-filter.dto';

/** The CSV columns, in order; `data` is written as its JSON text. */
export const CSV_COLUMNS = [
  'id', 'jobId', 'queue', 'type', 'errorType', 'errorMessage', 'attempts', 'idempotencyKey',
  'firstFailedAt', 'lastFailedAt', 'createdAt', 'data',
] as const satisfies readonly (keyof DeadLetterView)[];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/**
 * Turns pages of entries into chunks of one document: a JSON array, or CSV with one header
 * row. Only what the page needs is held, so exports of any size stream in constant memory.
 */
export class ExportDocument {
  private pages = 0;

  constructor(private readonly format: ExportFormat) {}

  page(entries: DeadLetterView[]): string {
    const first = this.pages++ === 0;
    if (this.format === 'json') {
      const items = entries.map((entry) => JSON.stringify(entry)).join(',\n');
      return `${first ? '[\n' : ',\n'}${items}`;
    }
    return stringify(entries.map(csvRecord), { header: first, columns: [...CSV_COLUMNS] });
  }

  /** What closes the document (and makes an empty export valid). */
  end(): string {
    if (this.format === 'json') return this.pages ? '\n]\n' : '[]\n';
    return this.pages ? '' : stringify([], { header: true, columns: [...CSV_COLUMNS] });
  }
}

/** What a spreadsheet would read as the start of a formula (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A cell a spreadsheet shows as text: one that would start a formula gets a leading single
 * quote (OWASP's advice), whatever its column, the JSON `data` cell included.
 */
export function neutralisedCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

function csvRecord(entry: DeadLetterView): Record<(typeof CSV_COLUMNS)[number], string | number> {
  const cells = csvCells(entry);
  for (const column of CSV_COLUMNS) {
    const value = cells[column];
    if (typeof value === 'string') cells[column] = neutralisedCell(value);
  }
  return cells;
}

function csvCells(entry: DeadLetterView): Record<(typeof CSV_COLUMNS)[number], string | number> {
  return {
    id: entry.id,
    jobId: entry.jobId,
    queue: entry.queue,
    type: entry.type,
    errorType: entry.errorType,
    errorMessage: entry.errorMessage,
    attempts: entry.attempts,
    idempotencyKey: entry.idempotencyKey ?? '',
    firstFailedAt: entry.firstFailedAt.toISOString(),
    lastFailedAt: entry.lastFailedAt.toISOString(),
    createdAt: entry.createdAt.toISOString(),
    data: JSON.stringify(entry.data),
  };
}
