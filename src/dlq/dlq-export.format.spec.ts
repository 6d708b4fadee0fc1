import type { DeadLetterView } from './dto/dlq-views.dto';
import { CSV_COLUMNS, ExportDocument, neutralisedCell } from './dlq-export.format';

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

describe('CSV formula injection', () => {
  const hostile = ['=HYPERLINK("http://evil","x")', '+1+1', '-2+3', '@SUM(A1:A2)', '\t=1', '\r=1'];

  it.each(hostile)('neutralises a cell that starts like a formula: %j', (value) => {
    expect(neutralisedCell(value)).toBe(`'${value}`);
  });

  it('leaves ordinary text alone', () => {
    for (const value of ['card_declined', 'a=b', '1-2', 'mail@example.com', '', "'quoted"]) {
      expect(neutralisedCell(value)).toBe(value);
    }
  });

  it('neutralises every text column, the JSON data cell included', () => {
    const row = entry('=id', {
      jobId: '+job', queue: '-money' as DeadLetterView['queue'], type: '@type' as DeadLetterView['type'],
      errorType: '\terror', errorMessage: '=1+1', idempotencyKey: '@key',
      // A JSON document that is a negative number starts its cell with '-'.
      data: -1 as unknown as DeadLetterView['data'],
    });
    const [header, line] = render('csv', [[row]]).trimEnd().split('\n');
    expect(header).toBe(CSV_COLUMNS.join(','));
    expect(line.split(',')).toEqual([
      "'=id", "'+job", "'-money", "'@type", "'\terror", "'=1+1", '1', "'@key",
      '2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05.678Z', "'-1",
    ]);
  });

  it('neutralises a cell that starts with a carriage return, inside its quotes', () => {
    const text = render('csv', [[entry('a', { errorMessage: '\r=cmd' })]]);
    expect(text).toContain(`"'\r=cmd"`);
  });
});
