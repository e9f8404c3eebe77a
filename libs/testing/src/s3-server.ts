import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './free-port';

export interface RunningS3Server {
  /** Host for S3 clients (`minio`'s `endPoint`): always 127.0.0.1. */
  endPoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  /** A bucket created at start, named uniquely. */
  bucket: string;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Kills the server and removes its data; safe to call twice. */
  stop(): Promise<void>;
}

// s3rver in a child process: it writes `{"port":N}` once listening on a port the OS chose (no
// race for a free port), and exits, removing its data, when its stdin closes (the test process died).
const S3RVER_MAIN = `
const [s3rverPath, directory, bucket] = process.argv.slice(1);
const S3rver = require(s3rverPath);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'),
  (error) => { console.error(error); process.exit(1); },
);
process.stdin.on('end', () => {
  require('node:fs').rmSync(directory, { recursive: true, force: true });
  process.exit(0);
}).resume();
`;

// Runs a command and exits with it; kills it on SIGTERM or when the test process dies (stdin closes).
const SUPERVISOR_MAIN = `
const child = require('node:child_process').spawn(process.argv[1], process.argv.slice(2), { stdio: ['ignore', 'inherit', 'inherit'] });
child.on('exit', (code) => process.exit(code ?? 1));
child.on('error', (error) => { console.error(error.message); process.exit(127); });
const stop = () => child.kill('SIGTERM');
process.on('SIGTERM', stop);
process.stdin.on('end', stop).resume();
`;

/**
 * A real S3-speaking server process (s3rver 3.7, data in a temp folder) with one bucket. It does
 * not check signatures and lacks ListMultipartUploads and AbortMultipartUpload.
 */
export async function startS3Server(): Promise<RunningS3Server> {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-s3rver-'));
  const bucket = uniqueBucket();
  const child = spawn(process.execPath, ['-e', S3RVER_MAIN, require.resolve('s3rver'), dir, bucket], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = capture(child);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`s3rver did not start within 15 s:\n${output()}`)),
        15_000,
      );
      child.stdout!.once('data', (line: Buffer) => {
        clearTimeout(timer);
        resolve((JSON.parse(line.toString()) as { port: number }).port);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited with ${code}:\n${output()}`));
      });
    });
    return running(child, port, 'S3RVER', 'S3RVER', bucket, () =>
      rmSync(dir, { recursive: true, force: true }),
    );
  } catch (error) {
    await kill(child);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The `moto_server` executable ($MOTO_SERVER, then PATH, then pyenv's shims), or undefined. */
export function findMotoServer(): string | undefined {
  const candidates = [
    process.env.MOTO_SERVER,
    ...(process.env.PATH ?? '').split(delimiter).map((d) => d && join(d, 'moto_server')),
    '/root/.pyenv/shims/moto_server',
  ];
  return candidates.find((path) => {
    if (!path) return false;
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      // not here; try the next candidate
      return false;
    }
  });
}

/**
 * moto_server (Python, in memory) with one bucket: closer to S3 than s3rver (multipart ETags,
 * part-size rules, abort) but likewise without signature checks. Throws when moto is not installed.
 */
export async function startMotoServer(): Promise<RunningS3Server> {
  const moto = findMotoServer();
  if (!moto) throw new Error('moto_server not found: set MOTO_SERVER or put it on PATH');
  // moto takes a port number only, so a free one is picked first; a lost race is retried.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['-e', SUPERVISOR_MAIN, moto, '-H', '127.0.0.1', '-p', String(port)],
      {
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    const output = capture(child);
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitForHttp(url, child, output);
      const bucket = uniqueBucket();
      // moto accepts unsigned requests, which keeps the harness free of an S3 client.
      const res = await fetch(`${url}/${bucket}`, { method: 'PUT' });
      if (!res.ok)
        throw new Error(`moto_server refused to create ${bucket}: ${res.status} ${await res.text()}`);
      return running(child, port, 'test', 'test', bucket, () => undefined);
    } catch (error) {
      await kill(child);
      if (attempt === 3) throw error;
    }
  }
}

function running(
  child: ChildProcess,
  port: number,
  accessKey: string,
  secretKey: string,
  bucket: string,
  cleanUp: () => void,
): RunningS3Server {
  const url = `http://127.0.0.1:${port}`;
  return {
    endPoint: '127.0.0.1',
    port,
    accessKey,
    secretKey,
    bucket,
    url,
    stop: async () => {
      await kill(child);
      cleanUp();
    },
  };
}

function uniqueBucket(): string {
  return `kiln-test-${randomBytes(5).toString('hex')}`;
}

/** The tail of the child's stderr, for failure messages (moto logs every request there). */
function capture(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-16_384);
  });
  return () => tail;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function waitForHttp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url} server exited with ${child.exitCode}:\n${output()}`);
    try {
      await fetch(url);
      return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer from ${url} within 20 s:\n${output()}`);
}
