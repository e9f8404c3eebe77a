import { createServer, IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as received (signatures are computed over it). */
  body: string;
}

export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  /** Resolves with the requests once `enough` says so, or fails with what was recorded. */
  waitFor(enough: (requests: RecordedRequest[]) => boolean, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

/** A local HTTP server standing in for a provider API or a webhook receiver: it records every call and answers 201 `{}`. */
export async function startRecordingServer(): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async waitFor(enough, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!enough(requests)) {
        if (Date.now() > deadline)
          throw new Error(`not the calls expected; recorded: ${JSON.stringify(requests, null, 2)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return requests;
    },
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
