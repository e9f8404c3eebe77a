import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, Gateway, startGateway } from './gateway.harness';

describe('API surface', () => {
  let gw: Gateway;
  const webDir = mkdtempSync(join(tmpdir(), 'kiln-web-'));
  beforeAll(async () => {
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Kiln</title>');
    writeFileSync(join(webDir, 'assets', 'app.js'), 'console.log("kiln")');
    gw = await startGateway({ KILN_WEB_DIR: webDir });
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(webDir, { recursive: true, force: true });
  });

  it('publishes an OpenAPI document generated from the DTOs', async () => {
    const ui = await gw.http().get('/api/docs/');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
    const doc = await gw.http().get('/api/docs-json');
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/projects',
        '/api/projects/{id}/pipelines/{pid}/runs',
        '/api/projects/{id}/runs/{rid}/steps/{sid}/logs',
        '/api/pipelines/validate',
        '/api/runners',
        '/api/tokens/{id}',
      ]),
    );
    expect(doc.body.components.schemas.CreateProjectDto.properties).toHaveProperty('repo_url');
    expect(doc.body.components.schemas.CreateProjectDto.required).toEqual(
      expect.arrayContaining(['name', 'repo_url', 'provider']),
    );
    expect(doc.body.components.schemas.RunJson.properties.steps.items.$ref).toContain('StepJson');
  });

  it('answers unknown API routes with the JSON error shape', async () => {
    const res = await gw.http().get('/api/nope').set(bearer(gw.admin.token));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /api/nope' });
  });

  it('keeps health and metrics at the root, outside /api', async () => {
    expect((await gw.http().get('/healthz')).status).toBe(200);
    const metrics = await gw.http().get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('process_cpu_user_seconds_total');
    expect((await gw.http().get('/api/healthz')).status).toBe(404);
  });

  it('serves the web UI: index.html at / and for client routes, its assets as files', async () => {
    const index = await gw.http().get('/');
    expect(index.status).toBe(200);
    expect(index.text).toContain('<title>Kiln</title>');
    const route = await gw.http().get('/projects/abc/runs');
    expect(route.text).toContain('<title>Kiln</title>');
    const asset = await gw.http().get('/assets/app.js');
    expect(asset.headers['content-type']).toContain('javascript');
    expect((await gw.http().get('/assets/missing.js')).status).toBe(404);
  });
});
