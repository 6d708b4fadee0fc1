import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppConfig } from '../config/app-config';
import { completeDocument } from './document-completion';
import { DOCS_JSON_PATH, DOCS_PATH, DOCS_YAML_PATH, docsPaths } from './docs-routes';
import { SERVICE_VERSION } from '../common/service-version';

const documents = new WeakMap<INestApplication, OpenAPIObject>();

function buildDocument(app: INestApplication): OpenAPIObject {
  const config = app.get(AppConfig);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Queue Service')
      .setDescription('Asynchronous jobs for payments, refunds, NFT tickets, notifications and background work.')
      .setVersion(SERVICE_VERSION)
      .addServer(config.publicUrl)
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .addTag('docs', 'This document and its Swagger UI')
      .build(),
  );
  document.info.license = { name: 'Proprietary (UNLICENSED)' };
  document.paths = { ...document.paths, ...docsPaths() };
  return completeDocument(document);
}

/** The OpenAPI document of an app: the one served at /docs-json (and checked by the e2e suite). */
export function openApiDocumentOf(app: INestApplication): OpenAPIObject {
  let document = documents.get(app);
  if (!document) {
    document = buildDocument(app);
    documents.set(app, document);
  }
  return document;
}

export function serveOpenApiDocs(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, openApiDocumentOf(app), { jsonDocumentUrl: DOCS_JSON_PATH, yamlDocumentUrl: DOCS_YAML_PATH });
}
