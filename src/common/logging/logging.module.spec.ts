import pino from 'pino';
import { Writable } from 'node:stream';
import { REDACTED_PATHS } from './logging.module';

describe('log redaction', () => {
  it('hides bearer tokens, request cookies and the cookies a response sets', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    const logger = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
    logger.info({
      req: { headers: { authorization: 'Bearer eyJ.secret', cookie: 'qs_dashboard=abc.def' } },
      res: { headers: { 'set-cookie': 'qs_dashboard=abc.def; Path=/admin/queues; HttpOnly' } },
    }, 'request completed');
    expect(lines.join('')).not.toMatch(/eyJ\.secret|abc\.def/);
    expect(JSON.parse(lines[0]).res.headers['set-cookie']).toBe('[redacted]');
  });
});
