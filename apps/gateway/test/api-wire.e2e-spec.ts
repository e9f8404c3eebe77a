import { Gateway, startGateway } from './gateway.harness';
import { mismatches, Shape, wireShapes } from './wire-shapes';

/** Each answer the CLI or the web UI reads: [wire type, method, path, status, a page of them]. */
const ANSWERS: [string, string, string, number, boolean][] = [
  ['Me', 'get', '/api/me', 200, false],
  ['User', 'get', '/api/users', 200, true],
  ['CreatedUser', 'post', '/api/users', 201, false],
  ['User', 'get', '/api/users/{id}', 200, false],
  ['User', 'patch', '/api/users/{id}', 200, false],
  ['Project', 'get', '/api/projects', 200, true],
  ['CreatedProject', 'post', '/api/projects', 201, false],
  ['Project', 'get', '/api/projects/{id}', 200, false],
  ['Project', 'patch', '/api/projects/{id}', 200, false],
  ['Pipeline', 'get', '/api/projects/{id}/pipelines', 200, true],
  ['Pipeline', 'post', '/api/projects/{id}/pipelines', 201, false],
  ['Pipeline', 'get', '/api/projects/{id}/pipelines/{pid}', 200, false],
  ['Pipeline', 'put', '/api/projects/{id}/pipelines/{pid}', 200, false],
  ['ValidationResult', 'post', '/api/pipelines/validate', 200, false],
  ['Run', 'post', '/api/projects/{id}/pipelines/{pid}/runs', 201, false],
  ['Run', 'get', '/api/projects/{id}/runs', 200, true],
  ['Run', 'get', '/api/runs', 200, true],
  ['Run', 'get', '/api/projects/{id}/runs/{rid}', 200, false],
  ['Run', 'post', '/api/projects/{id}/runs/{rid}/retry', 201, false],
  ['Artifact', 'get', '/api/projects/{id}/runs/{rid}/artifacts', 200, true],
  ['Secret', 'get', '/api/projects/{id}/secrets', 200, true],
  ['Secret', 'put', '/api/projects/{id}/secrets/{name}', 200, false],
  ['Member', 'get', '/api/projects/{id}/members', 200, true],
  ['Member', 'post', '/api/projects/{id}/members', 201, false],
  ['Member', 'patch', '/api/projects/{id}/members/{user_id}', 200, false],
  ['Token', 'get', '/api/tokens', 200, true],
  ['CreatedToken', 'post', '/api/tokens', 201, false],
  ['OutboundWebhook', 'get', '/api/projects/{id}/webhooks', 200, true],
  ['OutboundWebhook', 'post', '/api/projects/{id}/webhooks', 201, false],
  ['RegistryCredential', 'get', '/api/projects/{id}/registries', 200, true],
  ['RegistryCredential', 'put', '/api/projects/{id}/registries/{server}', 200, false],
  ['Runner', 'get', '/api/runners', 200, true],
  ['PlatformInfo', 'get', '/api/platform', 200, false],
];

function page(of: Shape): Shape {
  return {
    kind: 'object',
    name: 'Page',
    fields: [
      { name: 'items', optional: false, nullable: false, shape: { kind: 'array', of } },
      { name: 'next_cursor', optional: false, nullable: true, shape: { kind: 'string' } },
    ],
  };
}

describe('the shared wire module (@kiln/api-wire) against the OpenAPI document', () => {
  let gw: Gateway;
  let doc: Record<string, unknown>;
  const shapes = wireShapes();
  beforeAll(async () => {
    gw = await startGateway();
    doc = (await gw.http().get('/api/docs-json')).body;
  });
  afterAll(() => gw?.stop());

  it('reads every wire type it checks from the module', () => {
    for (const [type] of ANSWERS) expect(shapes.has(type)).toBe(true);
  });

  it.each(ANSWERS)('%s matches the answer of %s %s', (type, method, path, status, isPage) => {
    const operation = (doc.paths as Record<string, Record<string, Record<string, unknown>>>)[path]?.[method];
    expect(operation).toBeDefined();
    const answer = (operation!.responses as Record<string, { content?: Record<string, { schema?: object }> }>)[status];
    const schema = answer?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`${method.toUpperCase()} ${path} documents no JSON answer for ${status}`);
    const shape = shapes.get(type)!;
    expect(mismatches(isPage ? page(shape) : shape, schema as Record<string, unknown>, doc, type)).toEqual([]);
  });
});
