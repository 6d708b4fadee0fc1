import type { DeadLetterView } from './dto/dlq-views.dto';
import { CSV_COLUMNS, ExportDocument } from './dlq-export.format';

function entry(id: string, overrides: Partial<DeadLetterView> = {}): DeadLetterView {
  const at = new Date('2026-01-02T03:04:05.678Z');
  return {
    id,
    jobId: `job-${id}`,
    queue: 'money',
    type: 'payment-process',
    data: { orderId: 'ord_1', note: 'a "quoted", comma' },
    idempotencyKey: null,
    errorType: 'card_declined',
    errorMessage: 'Your card was declined.',
    attempts: 1,
    firstFailedAt: at,
    lastFailedAt: at,
    createdAt: at,
    ...overrides,
  };
}

function render(format: 'json' | 'csv', pages: DeadLetterView[][]): string {
  const document = new ExportDocument(format);
  return pages.map((page) => document.page(page)).join('') + document.end();
}

describe('ExportDocument', () => {
  it('writes one JSON array across pages', () => {
    const text = render('json', [[entry('a'), entry('b')], [entry('c')]]);
    const parsed = JSON.parse(text) as DeadLetterView[];
    expect(parsed.map((item) => item.id)).toEqual(['a', 'b', 'c']);
    expect(parsed[0]).toMatchObject({ data: { note: 'a "quoted", comma' }, createdAt: '2026-01-02T03:04:05.678Z' });
  });

  it('writes an empty JSON array when nothing matches', () => {
    expect(JSON.parse(render('json', []))).toEqual([]);
  });

  it('writes the CSV header once, then one quoted row per entry', () => {
    const lines = render('csv', [[entry('a')], [entry('b', { idempotencyKey: 'k-1' })]]).trimEnd().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe(
      'a,job-a,money,payment-process,card_declined,Your card was declined.,1,,' +
        '2026-01-02T03:04:05.678Z,2026-01-02T03:04:05.678Z,2026-01-02T03:04:05.678Z,' +
        '"{""orderId"":""ord_1"",""note"":""a \\""quoted\\"", comma""}"',
    );
    expect(lines[2]).toContain(',1,k-1,');
  });

  it('writes only the header when nothing matches', () => {
    expect(render('csv', [])).toBe(`${CSV_COLUMNS.join(',')}\n`);
  });
});
