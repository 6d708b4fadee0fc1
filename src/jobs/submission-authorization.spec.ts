import { clientJobTypes, JOB_TYPES, JobType, submittersOf } from '../job-definitions/job-types';
import { fieldsOfJob, submissionRefusals } from './submission-authorization';

describe('who may submit which job', () => {
  const refusals = (roles: ('admin' | 'venue_admin' | 'user')[], type: JobType, extra: object = {}) =>
    submissionRefusals(roles, { type, ...extra }, fieldsOfJob());

  it('every client type names its submitters; internal types have none', () => {
    for (const type of clientJobTypes()) expect(submittersOf(type).length).toBeGreaterThan(0);
    const internal = (Object.keys(JOB_TYPES) as JobType[]).filter((type) => !clientJobTypes().includes(type as never));
    for (const type of internal) expect(submittersOf(type)).toEqual([]);
  });

  it.each([
    ['payment-process', ['user', 'venue_admin', 'admin']],
    ['nft-mint', ['user', 'venue_admin', 'admin']],
    ['nft-transfer', ['user', 'venue_admin', 'admin']],
    ['email-send', ['user', 'venue_admin', 'admin']],
    ['sms-send', ['user', 'venue_admin', 'admin']],
    ['analytics-process', ['user', 'venue_admin', 'admin']],
    ['refund-process', ['venue_admin', 'admin']],
    ['cleanup', ['venue_admin', 'admin']],
    ['scheduled-task', ['admin']],
  ] as const)('%s: %j', (type, allowed) => {
    for (const role of ['user', 'venue_admin', 'admin'] as const) {
      const problems = refusals([role], type);
      if (allowed.includes(role as never)) expect(problems).toEqual([]);
      else expect(problems).toEqual([{ field: 'type', message: `${type} may be submitted only by: ${allowed.join(', ')}` }]);
    }
  });

  it('priority above normal only for venue_admin and admin', () => {
    expect(refusals(['user'], 'email-send', { priority: 'high' })).toEqual([{ field: 'options.priority', message: 'priority high may be asked only by: venue_admin, admin' }]);
    expect(refusals(['user'], 'email-send', { priority: 'critical' })).toHaveLength(1);
    expect(refusals(['user'], 'email-send', { priority: 'low' })).toEqual([]);
    expect(refusals(['venue_admin'], 'email-send', { priority: 'critical' })).toEqual([]);
  });

  it('cleanup of target all only for the platform operator, named under the caller\'s field prefix', () => {
    const asked = { type: 'cleanup' as const, data: { target: 'all' } };
    expect(submissionRefusals(['venue_admin'], asked, fieldsOfJob('jobs.2.'))).toEqual([
      { field: 'jobs.2.data.target', message: 'cleanup of target all may be submitted only by: admin' },
    ]);
    expect(submissionRefusals(['venue_admin'], { ...asked, data: { target: 'dead-letter' } }, fieldsOfJob())).toEqual([]);
    expect(submissionRefusals(['admin'], asked, fieldsOfJob())).toEqual([]);
  });
});
