import { createPrismaClient, PrismaClient } from '@kiln/db';
import { startService } from '@kiln/observability';
import { createRunRows, createTestDatabase, TestDatabase } from '@kiln/testing';
import { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config';
import { configureHttp } from '../src/http-setup';

export interface ArtifactService {
  url: string;
  app: INestApplication;
  stop(): Promise<void>;
}

/** What executors send as X-Kiln-Internal-Token to the services these tests start. */
export const TEST_INTERNAL_TOKEN = 'artifact-service-test-internal-token';

/** The artifact-service in this process, on a free port, with the given extra environment. */
export async function startArtifactService(env: Record<string, string>): Promise<ArtifactService> {
  const config = loadConfig({
    KILN_LOG_LEVEL: 'warn',
    KILN_MIGRATE_ON_START: 'false',
    KILN_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
    ...env,
  });
  const { app, url } = await startService(AppModule.forRoot(config), { port: 0, configure: configureHttp });
  return { url, app, stop: () => app.close() };
}

export interface Fixture {
  db: TestDatabase;
  prisma: PrismaClient;
  dataDir: string;
  cleanUp(): Promise<void>;
}

export async function createFixture(): Promise<Fixture> {
  const db = await createTestDatabase();
  const prisma = createPrismaClient(db.url);
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-artifacts-'));
  return {
    db,
    prisma,
    dataDir,
    cleanUp: async () => {
      await prisma.$disconnect();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A project with one pipeline and one run; answers their ids. */
export const createRun = (prisma: PrismaClient) => createRunRows(prisma);

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/**
 * A raw HTTP request, so tests control framing: `chunked` sends the body without Content-Length,
 * in pieces, as a streaming client would. It carries TEST_INTERNAL_TOKEN unless `token` says
 * otherwise (null: no token header).
 */
export function send(
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: Buffer; chunked?: boolean; token?: string | null } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const token = opts.token === undefined ? TEST_INTERNAL_TOKEN : opts.token;
    const headers: Record<string, string | number> = {
      ...(token === null ? {} : { 'x-kiln-internal-token': token }),
      ...opts.headers,
    };
    if (opts.body && !opts.chunked) headers['content-length'] = opts.body.length;
    const req = httpRequest(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const body = Buffer.concat(parts);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: () => JSON.parse(body.toString()),
        });
      });
      res.on('error', reject);
    });
    // The server may answer (413) and close before the whole body is sent: the answer is what counts.
    req.on('error', (error) => setTimeout(() => reject(error), 200));
    if (opts.body && opts.chunked) {
      for (let at = 0; at < opts.body.length; at += 64 * 1024)
        req.write(opts.body.subarray(at, at + 64 * 1024));
      req.end();
    } else {
      req.end(opts.body);
    }
  });
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
