import type { Response } from 'supertest';

/** Every error: exactly {statusCode, error, message, details?, requestId}, never a stack trace. */
export function expectErrorBody(response: Response, statusCode: number, error: string): void {
  expect(response.status).toBe(statusCode);
  const { body } = response;
  const keys = ['error', 'message', 'requestId', 'statusCode', ...(body.details ? ['details'] : [])].sort();
  expect(Object.keys(body).sort()).toEqual(keys);
  expect(body).toMatchObject({ statusCode, error, message: expect.any(String) });
  expect(typeof body.requestId).toBe('string');
  expect(body.requestId.length).toBeGreaterThan(0);
  expect(response.headers['x-request-id']).toBe(body.requestId);
  if (body.details) {
    expect(Array.isArray(body.details)).toBe(true);
    for (const detail of body.details) expect(Object.keys(detail).sort()).toEqual(['field', 'message']);
  }
  expect(JSON.stringify(body)).not.toMatch(/\bat \S+ \(|\.[jt]s:\d+|stack/i);
}

/** The distinct fields an error's details name, sorted. */
export const fieldsOf = (response: Response): string[] =>
  [...new Set<string>((response.body.details ?? []).map((detail: { field: string }) => detail.field))].sort();
