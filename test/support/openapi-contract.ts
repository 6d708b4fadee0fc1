import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject, OperationObject, ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Response } from 'supertest';
import { openApiDocumentOf } from '../../src/openapi/openapi-document';

const DOCUMENT_ID = 'openapi.json';

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  /** Literal segments first: `/dlq/stats` wins over `/dlq/{id}`, as in the router. */
  literalSegments: number;
  operation: OperationObject;
}

/**
 * An OpenAPI 3.0 schema as the JSON Schema Ajv checks, in two steps:
 * - `nullable: true` admits null, also beside `allOf`/`$ref` (as client generators read it).
 * - Stricter than the document, so that it stays complete for generated clients: an object
 *   schema with `properties` is closed (`additionalProperties: false` unless it says
 *   otherwise), so a field the service sends but the document does not name is a mismatch.
 */
function asJsonSchema(schema: SchemaObject | ReferenceObject): object {
  if ('$ref' in schema) return schema;
  const { nullable, ...rest } = schema;
  const converted: Record<string, unknown> = { ...rest };
  const each = (schemas: (SchemaObject | ReferenceObject)[]) => schemas.map(asJsonSchema);
  if (rest.properties) {
    converted.properties = Object.fromEntries(Object.entries(rest.properties).map(([name, property]) => [name, asJsonSchema(property)]));
    if (rest.additionalProperties === undefined) converted.additionalProperties = false;
  }
  if (typeof rest.additionalProperties === 'object') converted.additionalProperties = asJsonSchema(rest.additionalProperties);
  if (rest.items) converted.items = asJsonSchema(rest.items);
  if (rest.not) converted.not = asJsonSchema(rest.not);
  for (const keyword of ['allOf', 'anyOf', 'oneOf'] as const) if (rest[keyword]) converted[keyword] = each(rest[keyword]);
  return nullable === true ? { anyOf: [{ type: 'null' }, converted] } : converted;
}

/** `#/components/…` refs of a response schema point into the document added to Ajv. */
function anchored(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, `"${DOCUMENT_ID}#/components/`));
}

/** What a check reads of a response. */
export type CheckedResponse = Pick<Response, 'status' | 'headers' | 'text' | 'body'>;

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((error) => {
      const extra = (error.params as { additionalProperty?: string }).additionalProperty;
      return `body${error.instancePath} ${error.message}${extra ? ` (${extra})` : ''}`;
    })
    .join('; ');
}

function mediaTypeOf(response: CheckedResponse): string | undefined {
  return response.headers['content-type']?.split(';')[0].trim().toLowerCase();
}

/** The OpenAPI document of an app, used to check every response the e2e suite receives. */
export class OpenApiContract {
  private readonly routes: Route[];
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(document: OpenAPIObject) {
    this.routes = Object.entries(document.paths)
      .flatMap(([template, item]) =>
        Object.entries(item)
          .filter(([, operation]) => typeof operation === 'object' && operation && 'responses' in operation)
          .map(([method, operation]) => ({
            method: method.toUpperCase(),
            template,
            pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+')}$`),
            literalSegments: template.split('/').filter((segment) => segment && !segment.startsWith('{')).length,
            operation: operation as OperationObject,
          })),
      )
      .sort((a, b) => b.literalSegments - a.literalSegments);
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    const schemas = Object.entries(document.components?.schemas ?? {}).map(([name, schema]) => [name, asJsonSchema(schema)]);
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: { schemas: Object.fromEntries(schemas) } });
  }

  /** What the document says about one response, or undefined when it describes it. */
  mismatchOf(method: string, url: string, response: CheckedResponse): string | undefined {
    const path = new URL(url, 'http://service.test').pathname;
    const route = this.routes.find((candidate) => candidate.method === method.toUpperCase() && candidate.pattern.test(path));
    if (!route) return `no documented operation for ${method.toUpperCase()} ${path}`;
    const where = `${route.method} ${route.template}`;
    const { responses } = route.operation;
    const status = String(response.status);
    const documented = (responses[status] ?? responses[`${status[0]}XX`] ?? responses.default) as ResponseObject | undefined;
    if (!documented) return `status ${status} is not documented for ${where} (documented: ${Object.keys(responses).join(', ')})`;
    const content = documented.content ?? {};
    const mediaType = mediaTypeOf(response);
    if (!Object.keys(content).length) {
      return response.text ? `${where} ${status} is documented without a body, but one came (${mediaType})` : undefined;
    }
    const media = mediaType ? content[mediaType] : undefined;
    if (!media) return `content type ${mediaType ?? '(none)'} is not documented for ${where} ${status} (documented: ${Object.keys(content).join(', ')})`;
    if (mediaType !== 'application/json' || !media.schema) return undefined;
    const validate = this.validatorFor(`${where} ${status}`, media.schema);
    if (validate(response.body)) return undefined;
    return `body of ${where} ${status} does not match its schema: ${describeErrors(validate.errors)}`;
  }

  private validatorFor(key: string, schema: SchemaObject | ReferenceObject): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(anchored(asJsonSchema(schema)));
      this.validators.set(key, validate);
    }
    return validate;
  }

  /** Validates a value against a named component schema, e.g. a request body against SubmitJobRequest. */
  validateAgainst(schemaName: string, value: unknown): string | undefined {
    const validate = this.validatorFor(`#${schemaName}`, { $ref: `#/components/schemas/${schemaName}` });
    return validate(value) ? undefined : describeErrors(validate.errors);
  }
}

const contracts = new WeakMap<INestApplication, OpenApiContract>();

export function contractOf(app: INestApplication): OpenApiContract {
  let contract = contracts.get(app);
  if (!contract) {
    contract = new OpenApiContract(openApiDocumentOf(app));
    contracts.set(app, contract);
  }
  return contract;
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options']);

/**
 * Wraps a supertest agent so that every request it makes checks its response against the
 * document before the test's own expectations: a response the document does not describe
 * fails the test that made the request, naming method, path, status and the schema error.
 */
export function checkedAgainstContract<Agent extends object>(agent: Agent, contract: () => OpenApiContract): Agent {
  return new Proxy(agent, {
    get(target, property, receiver) {
      const original: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !HTTP_METHODS.has(property) || typeof original !== 'function') return original;
      const method = property === 'del' ? 'delete' : property;
      return (url: string) =>
        original.call(target, url).expect((response: Response) => {
          const mismatch = contract().mismatchOf(method, url, response);
          if (mismatch) throw new Error(`Response outside the OpenAPI document: ${method.toUpperCase()} ${url} → ${response.status}: ${mismatch}`);
        });
    },
  });
}
