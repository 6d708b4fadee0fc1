import type { OperationObject, PathsObject } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';
export const DOCS_JSON_PATH = 'docs-json';
export const DOCS_YAML_PATH = 'docs-yaml';

function docsOperation(operationId: string, summary: string, mediaType: string, schema: object): OperationObject {
  return {
    operationId,
    summary,
    tags: ['docs'],
    responses: { 200: { description: summary, content: { [mediaType]: { schema } } } },
  };
}

/** The documentation routes SwaggerModule serves, described in the document they serve. */
export function docsPaths(): PathsObject {
  return {
    [`/${DOCS_PATH}`]: { get: docsOperation('docs_ui', 'Swagger UI for this document', 'text/html', { type: 'string' }) },
    [`/${DOCS_JSON_PATH}`]: {
      get: docsOperation('docs_json', 'This OpenAPI document as JSON', 'application/json', { type: 'object', additionalProperties: true }),
    },
    [`/${DOCS_YAML_PATH}`]: { get: docsOperation('docs_yaml', 'This OpenAPI document as YAML', 'text/yaml', { type: 'string' }) },
  };
}
