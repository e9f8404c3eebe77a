import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { ApiClient } from '../api/api-client';
import { LogLine, readStepLog } from './step-log-reader';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('reading a step log from the gateway', () => {
  let server: Server;
  let handler: Handler;
  let client: ApiClient;

  beforeAll(async () => {
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new ApiClient({
      server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token: 't',
    });
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const sse = (res: ServerResponse, events: string[], end = true) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const e of events) res.write(e);
    if (end) res.end();
    // A connection that breaks after some events (the events must reach the client first).
    else setTimeout(() => res.destroy(), 50);
  };
  const line = (id: number, text: string, stream = 'stdout') =>
    `id: ${id}\ndata: ${JSON.stringify({ ts: 1, stream, text })}\n\n`;

  it('shows live lines in order and ends with the exit code', async () => {
    handler = (req, res) => {
      expect(req.headers.accept).toBe('text/event-stream');
      sse(res, [
        ': keep-alive\n\n',
        line(0, 'one'),
        line(1, 'two\n', 'stderr'),
        'event: end\ndata: {"exit_code":3}\n\n',
      ]);
    };
    const lines: LogLine[] = [];
    const result = await readStepLog(client, '/logs', (l) => lines.push(l), { live: true });
    expect(lines.map((l) => [l.stream, l.text])).toEqual([
      ['stdout', 'one'],
      ['stderr', 'two'],
    ]);
    expect(result).toMatchObject({ complete: true, exitCode: 3 });
  });

  it('resumes a dropped stream after the last event it received', async () => {
    const seen: (string | undefined)[] = [];
    handler = (req, res) => {
      seen.push(req.headers['last-event-id'] as string | undefined);
      if (seen.length === 1) sse(res, [line(0, 'a'), line(1, 'b')], false);
      else sse(res, [line(2, 'c'), 'event: end\ndata: {"exit_code":0}\n\n']);
    };
    const lines: string[] = [];
    const first = await readStepLog(client, '/logs', (l) => lines.push(l.text), { live: true });
    expect(first).toMatchObject({ complete: false, lastEventId: '1' });
    const second = await readStepLog(client, '/logs', (l) => lines.push(l.text), {
      live: true,
      lastEventId: first.lastEventId,
    });
    expect(second.complete).toBe(true);
    expect(seen).toEqual([undefined, '1']);
    expect(lines).toEqual(['a', 'b', 'c']);
  });

  it('reads an archived log as text, whatever the chunk boundaries', async () => {
    handler = (req, res) => {
      expect(req.headers.accept).toBe('text/plain');
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.write('first li');
      setTimeout(() => res.end('ne\r\nsecond\nlast without newline'), 20);
    };
    const lines: string[] = [];
    const result = await readStepLog(client, '/logs', (l) => lines.push(l.text), { live: false });
    expect(lines).toEqual(['first line', 'second', 'last without newline']);
    expect(result.complete).toBe(true);
  });
});
