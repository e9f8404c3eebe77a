import * as http from 'node:http';
import * as https from 'node:https';
import { LookupFunction } from 'node:net';
import { NetGuard, ResolvedAddress } from './net-guard';

export interface GuardedRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface GuardedResponse {
  status: number;
  /** The first 64 KiB of the body. */
  body: string;
}

const MAX_BODY = 64 * 1024;

/**
 * One HTTP(S) request to a tenant-named URL: the host is vetted by the guard, and the connection
 * goes to the vetted address (a lookup that answers only it), so a DNS answer changing between
 * the check and the connection (rebinding) cannot move it. Redirects are never followed: a 3xx is
 * returned like any answer. Throws the guard's refusals, or the connection's error.
 */
export async function guardedRequest(
  guard: NetGuard,
  url: string,
  request: GuardedRequest,
): Promise<GuardedResponse> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new Error(`unsupported scheme ${target.protocol}`);
  const { addresses } = await guard.vet(target.hostname);
  const client = target.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: false, lookup: pinnedLookup(addresses[0]!) });
  return new Promise<GuardedResponse>((resolve, reject) => {
    const req = client.request(target, { method: request.method, headers: request.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_BODY) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${request.timeoutMs} ms`)),
      request.timeoutMs,
    );
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(request.body);
  }).finally(() => agent.destroy());
}

/** A lookup that answers every question with the one address the guard vetted. */
export function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
}
