import { Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { EventEmitter } from 'node:events';
import type { NewAuditEntry } from './audit-entry';
import type { AuditLog } from './audit-log.repository';
import { AuditTrail } from './audit-trail';

const USER = { userId: 'operator-1', tenantId: '00000000-0000-4000-8000-000000000001', roles: ['admin' as const] };

/** The parts of a response AuditTrail reads: its status, whether it was sent, and its close event. */
function fakeResponse(statusCode: number): Response & EventEmitter {
  return Object.assign(new EventEmitter(), { statusCode, headersSent: false, writableFinished: false, destroyed: false }) as unknown as Response & EventEmitter;
}

function fakeRequest(): Request {
  return { id: 'req-12345678', user: USER, params: { name: 'money' }, query: {}, body: {} } as unknown as Request;
}

describe('AuditTrail', () => {
  let written: NewAuditEntry[];
  let failing: boolean;
  let trail: AuditTrail;
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => {
    written = [];
    failing = false;
    const log = {
      insert: async (entry: NewAuditEntry) => {
        if (failing) throw new Error('connection refused');
        written.push(entry);
      },
    } as unknown as AuditLog;
    trail = new AuditTrail(log);
  });
  afterEach(() => jest.restoreAllMocks());

  const open = (request: Request, response: Response) =>
    trail.watch(request, response, [AuditTrail.fromRoute(request, { action: 'queue.pause', target: 'params.name' })]);

  it('writes an answered request once, even when its response closes afterwards', async () => {
    const request = fakeRequest();
    const response = fakeResponse(200);
    open(request, response);
    await trail.answered(request, response, { name: 'money' });
    Object.assign(response, { headersSent: true, writableFinished: true });
    response.emit('close');
    await flush();
    expect(written).toEqual([expect.objectContaining({ action: 'queue.pause', target: 'money', outcome: 'succeeded', statusCode: 200, requestId: 'req-12345678' })]);
  });

  it('writes a request refused before the handler when its response closes, with the status sent', async () => {
    const request = fakeRequest();
    const response = fakeResponse(200);
    open(request, response);
    Object.assign(response, { statusCode: 403, headersSent: true, writableFinished: true });
    response.emit('close');
    await flush();
    expect(written).toEqual([expect.objectContaining({ outcome: 'refused', statusCode: 403, actor: 'operator-1', tenantId: USER.tenantId })]);
  });

  it('marks a response cut short as failed', async () => {
    const request = fakeRequest();
    const response = fakeResponse(200);
    open(request, response);
    Object.assign(response, { headersSent: true, writableFinished: false, destroyed: true });
    response.emit('close');
    await flush();
    expect(written).toEqual([expect.objectContaining({ outcome: 'failed', details: { incomplete: true } })]);
  });

  it('writes nothing without an authenticated caller', async () => {
    const request = { ...fakeRequest(), user: undefined } as unknown as Request;
    const response = fakeResponse(401);
    open(request, response);
    response.emit('close');
    await flush();
    expect(written).toEqual([]);
  });

  it('logs an entry it cannot write at error level, whole, and lets the request go on', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    failing = true;
    const request = fakeRequest();
    const response = fakeResponse(200);
    open(request, response);
    await expect(trail.answered(request, response, undefined)).resolves.toBeUndefined();
    expect(logged).toHaveBeenCalledWith(
      expect.objectContaining({ audit: expect.objectContaining({ action: 'queue.pause', target: 'money', actor: 'operator-1' }) }),
      expect.stringContaining('AUDIT ENTRY NOT WRITTEN'),
    );
  });

  it('keeps control characters and overlong values out of the row', async () => {
    const request = { ...fakeRequest(), params: { name: `a\u0000b${'x'.repeat(500)}` } } as unknown as Request;
    const response = fakeResponse(404);
    open(request, response);
    await trail.answered(request, response, undefined);
    expect(written[0].target).toBe(`a?b${'x'.repeat(197)}`);
  });
});
