import { isAuthenticated, type Principal } from './principals';
import type { FuzzCase } from './request-arbitraries';
import type { TenantIds, World } from './world';

/** Job types a `user` may not submit, and the ones only a platform operator may (docs: roles). */
const NOT_FOR_USERS = new Set(['refund-process', 'cleanup', 'scheduled-task']);
const ONLY_FOR_ADMINS = new Set(['scheduled-task']);
const RAISED_PRIORITIES = new Set(['high', 'critical']);

const isOperator = (principal: Principal) => principal.roles?.includes('admin') === true;
const isPlainUser = (principal: Principal) => principal.roles !== undefined && principal.roles.every((role) => role === 'user');

function tenantsOf(world: World, principal: Principal): { own?: TenantIds; other?: TenantIds } {
  if (principal.tenantId === world.a.tenantId) return { own: world.a, other: world.b };
  if (principal.tenantId === world.b.tenantId) return { own: world.b, other: world.a };
  return {};
}

const idsOf = (tenant: TenantIds) => [...tenant.jobs, ...tenant.webhookEndpoints, ...tenant.schedules, ...tenant.deadLetters];

/** The jobs of the principal's tenant that another user of it submitted. */
function othersJobs(world: World, principal: Principal): string[] {
  const { own } = tenantsOf(world, principal);
  return own ? own.jobs.filter((id) => world.jobCreators[id] !== principal.sub) : [];
}

interface JobSubmission { type?: unknown; options?: { priority?: unknown } }

function submittedJobs(fuzz: FuzzCase): JobSubmission[] {
  const body = fuzz.json as { jobs?: unknown } | undefined;
  if (body === null || typeof body !== 'object') return [];
  if (fuzz.request.route === 'POST /jobs') return [body as JobSubmission];
  if (fuzz.request.route === 'POST /jobs/batch' && Array.isArray(body.jobs)) {
    return body.jobs.filter((job): job is JobSubmission => job !== null && typeof job === 'object');
  }
  return [];
}

/**
 * Why the service must refuse this request (any 2xx is then a hole), or undefined when it may
 * accept it. Only rules the role model states outright are checked.
 */
export function mustRefuse(fuzz: FuzzCase, world: World): string | undefined {
  const { route, principal } = fuzz;
  if (route.protected && !isAuthenticated(principal)) return `protected route with ${principal.name}`;
  if (!isAuthenticated(principal)) return undefined;
  if (route.roles && !route.roles.some((role) => principal.roles?.includes(role))) return `${principal.name} lacks ${route.roles.join('/')}`;
  const id = fuzz.pathValues.id?.toLowerCase();
  if (id !== undefined && !isOperator(principal)) {
    const { other } = tenantsOf(world, principal);
    if (other && idsOf(other).includes(id)) return `${principal.name} on another tenant's id`;
    if (isPlainUser(principal) && othersJobs(world, principal).includes(id)) return `${principal.name} on another user's job`;
  }
  if (!isOperator(principal)) {
    for (const job of submittedJobs(fuzz)) {
      if (ONLY_FOR_ADMINS.has(job.type as string)) return `${principal.name} submits ${String(job.type)}`;
      if (isPlainUser(principal) && NOT_FOR_USERS.has(job.type as string)) return `${principal.name} submits ${String(job.type)}`;
      if (isPlainUser(principal) && RAISED_PRIORITIES.has(job.options?.priority as string)) return `${principal.name} submits priority ${String(job.options?.priority)}`;
    }
    const schedule = fuzz.json as { jobType?: unknown } | undefined;
    if (/^(POST|PATCH) \/schedules/.test(fuzz.request.route) && schedule !== null && typeof schedule === 'object' && ONLY_FOR_ADMINS.has(schedule.jobType as string)) {
      return `${principal.name} schedules ${String(schedule.jobType)}`;
    }
  }
  return undefined;
}

/**
 * What an accepted answer must not show a tenant's own caller: the other tenant's id or ids,
 * or (to a plain user) the jobs of other users. Ids the request itself named are left out.
 */
export function leakIn(fuzz: FuzzCase, world: World, text: string): string | undefined {
  const { principal } = fuzz;
  if (!isAuthenticated(principal) || isOperator(principal)) return undefined;
  const asked = `${fuzz.request.path} ${fuzz.request.body ?? ''}`.toLowerCase();
  const shown = text.toLowerCase();
  const { other } = tenantsOf(world, principal);
  if (other) {
    const leaked = [other.tenantId, ...idsOf(other)].find((id) => shown.includes(id) && !asked.includes(id));
    if (leaked) return `answer to ${principal.name} shows another tenant's ${leaked}`;
  }
  if (isPlainUser(principal)) {
    const leaked = othersJobs(world, principal).find((id) => shown.includes(id) && !asked.includes(id));
    if (leaked) return `answer to ${principal.name} shows another user's job ${leaked}`;
  }
  return undefined;
}
