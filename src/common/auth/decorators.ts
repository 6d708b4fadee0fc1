import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import { ApiErrors } from '../openapi/api-errors.decorator';
import type { AuthUser, Role } from './auth-user';

export const IS_PUBLIC = 'auth:public';
export const REQUIRED_ROLES = 'auth:roles';

/** Opens a route to callers without a token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The caller needs at least one of these roles; the OpenAPI document lists its 403. */
export const Roles = (...roles: Role[]) =>
  applyDecorators(SetMetadata(REQUIRED_ROLES, roles), ApiErrors([403, `Requires one of the roles: ${roles.join(', ')}`]));

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthUser =>
    context.switchToHttp().getRequest<Request & { user: AuthUser }>().user,
);
