import type { OpenAPIObject, OperationObject, ParameterObject, ReferenceObject } from '@nestjs/swagger';
import type { Role } from '../../src/common/auth/auth-user';
import { ROLES } from '../../src/common/auth/auth-user';

/** One operation of the live OpenAPI document, as the fuzz reads it. */
export interface FuzzRoute {
  method: string;
  /** The document's path, e.g. `/jobs/{id}`. */
  template: string;
  pathParams: string[];
  queryParams: string[];
  headerParams: string[];
  hasBody: boolean;
  /** The route's security asks for a bearer token: a request without a valid one must never get a 2xx. */
  protected: boolean;
  /** From the documented 403: the roles of which the caller needs one (undefined: any role). */
  roles?: Role[];
}

const isParameter = (parameter: ParameterObject | ReferenceObject): parameter is ParameterObject => 'in' in parameter;

/**
 * The roles a 403 names, as `@Roles` writes them ("Requires one of the roles: admin, venue_admin")
 * or in prose ("Not an admin or venue admin").
 */
export function rolesOf403(description: string | undefined): Role[] | undefined {
  if (description === undefined) return undefined;
  const listed = /roles?: ([a-z_, ]+)/.exec(description)?.[1];
  if (listed) return listed.split(',').map((role) => role.trim()).filter((role): role is Role => (ROLES as readonly string[]).includes(role));
  const named = ROLES.filter((role) => new RegExp(`\\b${role.replace('_', '[_ ]')}\\b`).test(description));
  return named.length ? named : undefined;
}

export function routesOf(document: OpenAPIObject): FuzzRoute[] {
  const routes: FuzzRoute[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation: OperationObject | undefined = item[method];
      if (!operation) continue;
      const parameters = (operation.parameters ?? []).filter(isParameter);
      const names = (where: string) => parameters.filter((parameter) => parameter.in === where).map((parameter) => parameter.name);
      const forbidden = operation.responses['403'] as { description?: string } | undefined;
      routes.push({
        method: method.toUpperCase(),
        template,
        pathParams: names('path'),
        queryParams: names('query'),
        headerParams: names('header'),
        hasBody: operation.requestBody !== undefined,
        protected: (operation.security ?? document.security ?? []).some((requirement) => Object.keys(requirement).length > 0),
        roles: rolesOf403(forbidden?.description),
      });
    }
  }
  return routes;
}

export const routeName = (route: Pick<FuzzRoute, 'method' | 'template'>) => `${route.method} ${route.template}`;
