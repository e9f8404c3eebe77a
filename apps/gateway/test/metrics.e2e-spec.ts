import { bearer, Gateway, startGateway } from './gateway.harness';

describe('/metrics with KILN_METRICS_TOKEN', () => {
  const token = 'scrape-token-0123456789';
  let gw: Gateway;
  beforeAll(async () => {
    // The observability lib reads its setting from the environment, as every app's does.
    process.env.KILN_METRICS_TOKEN = token;
    try {
      gw = await startGateway();
    } finally {
      delete process.env.KILN_METRICS_TOKEN;
    }
  });
  afterAll(() => gw?.stop());

  it('refuses a scrape without the token, or with another one, with 401', async () => {
    for (const headers of [{}, bearer('another-token-0123456789'), bearer(gw.admin.token)]) {
      const res = await gw.http().get('/metrics').set(headers);
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('metrics need "Authorization: Bearer <KILN_METRICS_TOKEN>"');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(res.text).not.toContain('process_cpu');
    }
  });

  it('answers a scrape with the token', async () => {
    const res = await gw.http().get('/metrics').set(bearer(token));
    expect(res.status).toBe(200);
    expect(res.text).toContain('process_cpu_user_seconds_total');
  });

  it('keeps health probes and the OpenAPI description open', async () => {
    expect((await gw.http().get('/healthz')).status).toBe(200);
    const openapi = await gw.http().get('/api/docs-json');
    expect(openapi.status).toBe(200);
    expect(openapi.body.info.title).toBe('Kiln API');
  });
});
