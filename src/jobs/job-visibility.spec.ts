import type { AuthUser } from '../common/auth/auth-user';
import type { JobView } from './dto/job-views.dto';
import { listingTenantOf, maySeeJobOfTenant, presentJobTo, submitterFilterOf } from './job-visibility';

const tenantA = '11111111-1111-4111-8111-111111111111';
const tenantB = '22222222-2222-4222-8222-222222222222';
const as = (roles: AuthUser['roles'], userId = 'alice'): AuthUser => ({ userId, tenantId: tenantA, roles });

function viewOf(tenantId: string): JobView {
  return {
    id: 'j', tenantId, queue: 'communication', type: 'sms-send', status: 'completed', attempts: 1, progress: 100,
    data: { to: '+14155550123', body: 'code 123456' }, result: { messageSid: 'SM1' }, error: null, cancelRequested: false,
    origin: 'api', parentJobId: null, createdAt: new Date(0), startedAt: null, finishedAt: null,
  };
}

describe('job visibility by role', () => {
  it('a user sees only the jobs it submitted; venue admins and platform operators their whole tenant', () => {
    expect(submitterFilterOf(as(['user']))).toBe('alice');
    expect(maySeeJobOfTenant(as(['user']), 'alice')).toBe(true);
    expect(maySeeJobOfTenant(as(['user']), 'bob')).toBe(false);
    expect(maySeeJobOfTenant(as(['user']), null)).toBe(false);
    for (const roles of [['venue_admin'], ['admin'], ['user', 'venue_admin']] as AuthUser['roles'][]) {
      expect(submitterFilterOf(as(roles))).toBeNull();
      expect(maySeeJobOfTenant(as(roles), 'bob')).toBe(true);
    }
  });

  it('only a platform operator lists across tenants', () => {
    expect(listingTenantOf(as(['admin']))).toBeNull();
    expect(listingTenantOf(as(['venue_admin']))).toBe(tenantA);
    expect(listingTenantOf(as(['user']))).toBe(tenantA);
  });

  it("redacts another tenant's personal data unless asked for; never the caller's own tenant's", () => {
    const operator = as(['admin']);
    expect(presentJobTo(operator, viewOf(tenantA))).toEqual(viewOf(tenantA));
    const foreign = presentJobTo(operator, viewOf(tenantB));
    expect(foreign.data).toEqual({ to: '[redacted]', body: '[redacted]' });
    expect(foreign.redactedFields).toEqual(['data.to', 'data.body']);
    expect(presentJobTo(operator, viewOf(tenantB), true)).toEqual(viewOf(tenantB));
  });
});
