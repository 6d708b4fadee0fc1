import { outcomeOf } from './audit-entry';
import { asksForPersonalData } from './audit.guard';
import { AuditTrail } from './audit-trail';
import type { Request } from 'express';

describe('audit outcomes', () => {
  it.each([
    [200, true, 'succeeded'],
    [204, true, 'succeeded'],
    [400, true, 'refused'],
    [403, true, 'refused'],
    [409, true, 'refused'],
    [500, true, 'failed'],
    [503, true, 'failed'],
    [200, false, 'failed'],
  ])('status %i (completed: %s) is %s', (status, completed, outcome) => {
    expect(outcomeOf(status, completed)).toBe(outcome);
  });
});

describe('asking for personal data', () => {
  it.each([
    [{ includePersonalData: 'true' }, true],
    [{ includePersonalData: ['false', 'true'] }, true],
    [{ includePersonalData: 'yes' }, true],
    [{ includePersonalData: 'false' }, false],
    [{ includePersonalData: '0' }, false],
    [{ other: 'true' }, false],
    [undefined, false],
  ])('%j asks: %s', (query, asks) => {
    expect(asksForPersonalData(query)).toBe(asks);
  });
});

describe('the entry of a decorated route', () => {
  const request = { params: { id: 'job-1' }, query: {}, body: { jobs: [1, 2] } } as unknown as Request;

  it('reads its target from params, body or the answer, nested too', () => {
    expect(AuditTrail.fromRoute(request, { action: 'a', target: 'params.id' }).target(undefined)).toBe('job-1');
    expect(AuditTrail.fromRoute(request, { action: 'a', target: 'response.alert.id' }).target({ alert: { id: 'al-1' } })).toBe('al-1');
    expect(AuditTrail.fromRoute(request, { action: 'a', target: 'response.id' }).target(undefined)).toBeNull();
    expect(AuditTrail.fromRoute(request, { action: 'a', target: 'body.jobs' }).target(undefined)).toBeNull();
  });

  it('answers no details rather than fail when the details function throws on a malformed body', () => {
    const entry = AuditTrail.fromRoute(request, { action: 'a', details: () => { throw new Error('bad body'); } });
    expect(entry.details(undefined)).toEqual({});
  });
});
