import type { OpenAPIObject } from '@nestjs/swagger';
import { CheckedResponse, OpenApiContract } from '../support/openapi-contract';

const json = (schema: object) => ({ content: { 'application/json': { schema } } });

/** A small document with one of each kind of response the service's document has. */
const DOCUMENT: OpenAPIObject = {
  openapi: '3.0.0',
  info: { title: 'contract check', version: '1' },
  paths: {
    '/things/{id}': {
      get: {
        responses: {
          200: { description: 'a thing', ...json({ $ref: '#/components/schemas/Thing' }) },
          404: { description: 'none', ...json({ $ref: '#/components/schemas/Problem' }) },
        },
      },
      delete: { responses: { 204: { description: 'gone' } } },
    },
    '/things/export': {
      get: { responses: { 200: { description: 'a file', content: { 'text/csv': { schema: { type: 'string' } } } } } },
    },
  },
  components: {
    schemas: {
      Thing: {
        type: 'object',
        required: ['id', 'owner', 'seenAt'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          owner: { nullable: true, allOf: [{ $ref: '#/components/schemas/Owner' }] },
          seenAt: { type: 'string', format: 'date-time', nullable: true },
          tags: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      Owner: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      Problem: { type: 'object', required: ['statusCode'], properties: { statusCode: { type: 'number' } } },
    },
  },
};

const ID = '3f6c1a8e-2b1d-4c55-9a0e-6f1f1c2d3e4f';
const thing = { id: ID, owner: { name: 'venue' }, seenAt: '2026-11-27T20:00:00.000Z', tags: { gate: 'A' } };

function response(status: number, body: unknown, contentType = 'application/json; charset=utf-8'): CheckedResponse {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return { status, headers: text ? { 'content-type': contentType } : {}, text, body: body ?? {} };
}

describe('The check of responses against the OpenAPI document', () => {
  const contract = new OpenApiContract(DOCUMENT);
  const check = (method: string, url: string, answer: CheckedResponse) => contract.mismatchOf(method, url, answer);

  it('passes responses the document describes, nullable fields and literal paths included', () => {
    expect(check('get', `/things/${ID}`, response(200, thing))).toBeUndefined();
    expect(check('get', `/things/${ID}?expand=1`, response(200, { ...thing, owner: null, seenAt: null }))).toBeUndefined();
    expect(check('get', `/things/${ID}`, response(404, { statusCode: 404 }))).toBeUndefined();
    expect(check('delete', `/things/${ID}`, response(204, undefined))).toBeUndefined();
    expect(check('get', '/things/export', response(200, 'id\n1\n', 'text/csv; charset=utf-8'))).toBeUndefined();
  });

  it('names an undocumented route, method or status', () => {
    expect(check('get', '/nothing', response(404, { statusCode: 404 }))).toBe('no documented operation for GET /nothing');
    expect(check('post', `/things/${ID}`, response(201, thing))).toBe(`no documented operation for POST /things/${ID}`);
    expect(check('get', `/things/${ID}`, response(409, { statusCode: 409 }))).toBe(
      'status 409 is not documented for GET /things/{id} (documented: 200, 404)',
    );
  });

  it('names a body that breaks the schema, and a field the document does not name', () => {
    expect(check('get', `/things/${ID}`, response(200, { ...thing, id: 'not-a-uuid' }))).toMatch(/body\/id must match format "uuid"/);
    expect(check('get', `/things/${ID}`, response(200, { ...thing, secret: 1 }))).toMatch(/must NOT have additional properties \(secret\)/);
    expect(check('get', `/things/${ID}`, response(200, { ...thing, owner: {} }))).toMatch(/body\/owner must have required property 'name'/);
  });

  it('names an undocumented content type, and a body where the document has none', () => {
    expect(check('get', '/things/export', response(200, '[]'))).toBe(
      'content type application/json is not documented for GET /things/export 200 (documented: text/csv)',
    );
    expect(check('delete', `/things/${ID}`, response(204, 'x', 'text/plain'))).toBe(
      'DELETE /things/{id} 204 is documented without a body, but one came (text/plain)',
    );
  });
});
