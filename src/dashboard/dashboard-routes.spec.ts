import { appRoutes } from '@bull-board/api/dist/routes.js';
import { dashboardRequestOf } from './dashboard-routes';

/** bull-board's own API routes, with sample values for their parameters. */
const boardRoutes = appRoutes.api.flatMap(({ method, route }) =>
  (Array.isArray(method) ? method : [method]).flatMap((verb) => (Array.isArray(route) ? route : [route]).map((template) => ({
    method: verb.toUpperCase(),
    path: template.replace(':queueName', 'money').replace(':jobId', 'job-1').replace(':queueStatus', 'failed').replace(':schedulerId', 's-1'),
  }))),
);

describe('dashboardRequestOf', () => {
  it('lets every bull-board read through to the board', () => {
    const reads = boardRoutes.filter(({ method }) => method === 'GET');
    expect(reads.length).toBeGreaterThan(5);
    for (const { method, path } of reads) expect(dashboardRequestOf(method, path)).toEqual({ kind: 'read' });
  });

  it('keeps every bull-board change from the board: carried out by the service or refused', () => {
    const changes = boardRoutes.filter(({ method }) => method !== 'GET');
    expect(changes.length).toBeGreaterThan(10);
    const reachingTheBoard = changes.filter(({ method, path }) => dashboardRequestOf(method, path).kind === 'read');
    expect(reachingTheBoard).toEqual([]);
  });

  it('maps a job’s retry and remove, and pause and resume, to the service', () => {
    expect(dashboardRequestOf('PUT', '/api/queues/money/job-1/retry')).toEqual({ kind: 'retry', queue: 'money', jobId: 'job-1' });
    expect(dashboardRequestOf('PUT', '/api/queues/communication/a%2Fb/clean')).toEqual({ kind: 'remove', queue: 'communication', jobId: 'a/b' });
    expect(dashboardRequestOf('PUT', '/api/queues/background/pause')).toEqual({ kind: 'pause', queues: ['background'] });
    expect(dashboardRequestOf('PUT', '/api/queues/resume')).toEqual({ kind: 'resume', queues: ['money', 'communication', 'background'] });
    expect(dashboardRequestOf('PUT', '/api/queues/other/job-1/retry')).toEqual({ kind: 'unknown-queue', queue: 'other' });
  });

  it('refuses bulk changes with the API route to use instead, and any other method', () => {
    expect(dashboardRequestOf('PUT', '/api/queues/money/clean/failed')).toMatchObject({ kind: 'refused', reason: expect.stringContaining('/queues/:name/clear') });
    expect(dashboardRequestOf('PUT', '/api/queues/money/retry/failed')).toMatchObject({ kind: 'refused', reason: expect.stringContaining('/dlq/retry') });
    expect(dashboardRequestOf('DELETE', '/api/queues/money/job-1')).toMatchObject({ kind: 'refused' });
    expect(dashboardRequestOf('POST', '/api/anything-new')).toMatchObject({ kind: 'refused' });
  });
});
