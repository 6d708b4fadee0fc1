import { DataSource } from 'typeorm';
import { appsClosedAfterEach } from '../support/app-lifecycle';
import { newTenant, startTestApp, TestApp } from '../support/test-app';

const ENDPOINT = { url: 'https://venue.example.com/hooks', events: ['payment.completed', 'refund.completed'], description: 'Box office' };

describe('Webhook endpoint routes', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await startTestApp();
  });
  afterAll(() => test.close());
  const as = (token: string) => ({
    post: (path: string) => test.http().post(path).set('Authorization', `Bearer ${token}`),
    get: (path: string) => test.http().get(path).set('Authorization', `Bearer ${token}`),
    patch: (path: string) => test.http().patch(path).set('Authorization', `Bearer ${token}`),
    delete: (path: string) => test.http().delete(path).set('Authorization', `Bearer ${token}`),
  });
  const storedSecret = async (id: string) =>
    (await test.app.get(DataSource).query(`SELECT secret FROM webhook_endpoints WHERE id = $1`, [id]))[0].secret;

  it('creates an endpoint and shows its secret in that answer only; list, get and update never show it', async () => {
    const tenant = newTenant();
    const created = await as(tenant.venueAdmin).post('/webhook-endpoints').send(ENDPOINT).expect(201);
    expect(created.body).toEqual({
      id: expect.any(String), ...ENDPOINT, enabled: true, secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
      createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    expect(await storedSecret(created.body.id)).toBe(created.body.secret);

    const listed = await as(tenant.admin).get('/webhook-endpoints').expect(200);
    const fetched = await as(tenant.admin).get(`/webhook-endpoints/${created.body.id}`).expect(200);
    const updated = await as(tenant.admin).patch(`/webhook-endpoints/${created.body.id}`)
      .send({ events: ['nft.minted'], enabled: false, url: 'https://venue.example.com/v2' }).expect(200);
    const { secret, ...view } = created.body;
    expect(listed.body).toEqual([view]);
    expect(fetched.body).toEqual(view);
    expect(updated.body).toMatchObject({ events: ['nft.minted'], enabled: false, url: 'https://venue.example.com/v2', description: 'Box office' });
    for (const body of [listed.body[0], fetched.body, updated.body]) expect(body).not.toHaveProperty('secret');
    expect(JSON.stringify([listed.body, fetched.body, updated.body])).not.toContain(secret);
  });

  it('rotating the secret shows the new one once and stores it in place of the old', async () => {
    const tenant = newTenant();
    const created = await as(tenant.admin).post('/webhook-endpoints').send(ENDPOINT).expect(201);
    const rotated = await as(tenant.admin).post(`/webhook-endpoints/${created.body.id}/rotate-secret`).expect(200);
    expect(rotated.body).toMatchObject({ id: created.body.id, secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(await storedSecret(created.body.id)).toBe(rotated.body.secret);
  });

  it('deletes an endpoint; afterwards it is 404', async () => {
    const tenant = newTenant();
    const { body } = await as(tenant.admin).post('/webhook-endpoints').send(ENDPOINT).expect(201);
    await as(tenant.admin).delete(`/webhook-endpoints/${body.id}`).expect(204);
    await as(tenant.admin).get(`/webhook-endpoints/${body.id}`).expect(404);
    await as(tenant.admin).delete(`/webhook-endpoints/${body.id}`).expect(404);
    expect((await as(tenant.admin).get('/webhook-endpoints').expect(200)).body).toEqual([]);
  });

  it("another tenant's endpoint is 404 on every route and absent from its list", async () => {
    const owner = newTenant();
    const stranger = newTenant();
    const { body } = await as(owner.admin).post('/webhook-endpoints').send(ENDPOINT).expect(201);
    const path = `/webhook-endpoints/${body.id}`;
    await as(stranger.admin).get(path).expect(404);
    await as(stranger.admin).patch(path).send({ enabled: false }).expect(404);
    await as(stranger.admin).post(`${path}/rotate-secret`).expect(404);
    await as(stranger.admin).get(`${path}/deliveries`).expect(404);
    await as(stranger.admin).delete(path).expect(404);
    expect((await as(stranger.admin).get('/webhook-endpoints').expect(200)).body).toEqual([]);
    expect(await storedSecret(body.id)).toBe(body.secret);
    expect((await as(owner.admin).get(path).expect(200)).body).toMatchObject({ enabled: true });
  });

  it('is for admins and venue admins only', async () => {
    const tenant = newTenant();
    await as(tenant.user).post('/webhook-endpoints').send(ENDPOINT).expect(403);
    await as(tenant.user).get('/webhook-endpoints').expect(403);
  });

  it('refuses a bad url, an unknown event, no events and credentials in the url, naming each field', async () => {
    const tenant = newTenant();
    const bad = await as(tenant.admin).post('/webhook-endpoints').send({ url: 'ftp://example.com', events: ['payment.refunded'] }).expect(400);
    expect(bad.body.details.map((detail: { field: string }) => detail.field).sort()).toEqual(['events', 'url']);
    const empty = await as(tenant.admin).post('/webhook-endpoints').send({ url: 'https://example.com', events: [] }).expect(400);
    expect(empty.body.details).toEqual([expect.objectContaining({ field: 'events' })]);
    const credentials = await as(tenant.admin).post('/webhook-endpoints').send({ url: 'https://me:pw@example.com/', events: ['nft.minted'] }).expect(400);
    expect(credentials.body.details).toEqual([{ field: 'url', message: 'url must not carry a user name or password' }]);
    expect(JSON.stringify(credentials.body)).not.toContain('pw@');
  });
});

describe('Webhook endpoints in production', () => {
  const start = appsClosedAfterEach();

  it('must be https: an http url is refused at creation and at update with a 400 naming url', async () => {
    const app = await start({ env: { NODE_ENV: 'production', PROVIDERS_DISABLED: 'stripe,email,sms,solana' } });
    const tenant = newTenant();
    const auth = `Bearer ${tenant.admin}`;
    const refused = await app.http().post('/webhook-endpoints').set('Authorization', auth)
      .send({ url: 'http://venue.example.com/hooks', events: ['payment.completed'] }).expect(400);
    expect(refused.body.details).toEqual([{ field: 'url', message: 'url must use https' }]);

    const { body } = await app.http().post('/webhook-endpoints').set('Authorization', auth)
      .send({ url: 'https://venue.example.com/hooks', events: ['payment.completed'] }).expect(201);
    const update = await app.http().patch(`/webhook-endpoints/${body.id}`).set('Authorization', auth).send({ url: 'http://venue.example.com/x' }).expect(400);
    expect(update.body.details).toEqual([{ field: 'url', message: 'url must use https' }]);
  });
});
