import { SetMetadata } from '@nestjs/common';
import type { ApiRouteGroup } from '../../config/rate-limits.config';

export const RATE_LIMIT_GROUP = 'rate-limit:group';

/** Puts a route (or every route of a controller) under a group's API limit; the rest are 'default'. */
export const RateLimitGroup = (group: ApiRouteGroup) => SetMetadata(RATE_LIMIT_GROUP, group);
