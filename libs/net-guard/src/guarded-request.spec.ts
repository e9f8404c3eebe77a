import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { AllowList } from './allow-list';
import { guardedRequest } from './guarded-request';
import { HostRefusedError, NetGuard } from './net-guard';

// The only listener is on 127.0.0.1, and the allow-list of each guard that may reach it names it.
describe('guardedRequest', () => {
  let server: Server;
  let port: number;
  let seen: IncomingMessage[];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req);
      if (req.url === '/redirect') {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/target` }).end();
      } else {
        req.resume();
        req.on('end', () => res.writeHead(201).end('stored'));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  beforeEach(() => {
    seen = [];
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const post = {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    timeoutMs: 5000,
  };

  it('connects to the address the guard vetted, whatever the name resolves to later', async () => {
    let lookups = 0;
    const guard = new NetGuard(new AllowList(['127.0.0.1']), async () => {
      lookups += 1;
      return [{ address: '127.0.0.1', family: 4 }];
    });
    // hooks.kiln.invalid resolves nowhere for real: only the pinned address can have answered.
    const res = await guardedRequest(guard, `http://hooks.kiln.invalid:${port}/deliver`, post);
    expect(res).toEqual({ status: 201, body: 'stored' });
    expect(lookups).toBe(1);
    expect(seen.map((r) => r.headers.host)).toEqual([`hooks.kiln.invalid:${port}`]);
  });

  it('returns a redirect as the answer and never follows it', async () => {
    const guard = new NetGuard(new AllowList(['127.0.0.1']));
    const res = await guardedRequest(guard, `http://127.0.0.1:${port}/redirect`, post);
    expect(res.status).toBe(302);
    expect(seen.map((r) => r.url)).toEqual(['/redirect']);
  });

  it('refuses before connecting when the host is not allowed', async () => {
    const guard = new NetGuard(new AllowList());
    await expect(guardedRequest(guard, `http://127.0.0.1:${port}/deliver`, post)).rejects.toBeInstanceOf(
      HostRefusedError,
    );
    await expect(guardedRequest(guard, `http://0x7f000001:${port}/deliver`, post)).rejects.toBeInstanceOf(
      HostRefusedError,
    );
    expect(seen).toEqual([]);
  });
});
