import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { OutputLines } from './output-lines';
import { SpawnedProcess, Spawner } from './spawner';

function text(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
    stream.once('close', () => resolve(out));
  });
}

/** Running (a zombie waiting for a parent that does not reap it counts as ended). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Spawner', () => {
  let spawner: Spawner;
  let dir: string;

  beforeEach(() => {
    spawner = new Spawner();
    dir = mkdtempSync(join(tmpdir(), 'spawner-spec-'));
  });

  /** A detached shell that started a sleeper of its own, and the sleeper's pid (its first line). */
  async function detachedGroup(): Promise<{ group: SpawnedProcess; grandchild: number }> {
    const group = await spawner.spawn({
      file: 'sh',
      args: ['-c', 'sleep 60 & echo $!; wait'],
      detached: true,
      pipes: [1],
    });
    const grandchild = await new Promise<number>((resolve) =>
      group.output(1).once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
    );
    return { group, grandchild };
  }

  afterEach(() => {
    spawner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives each piped descriptor its own stream, in the directory and environment asked for', async () => {
    const child = await spawner.spawn({
      file: 'sh',
      args: ['-c', 'echo "out $KILN_X $(pwd)"; echo err >&2; echo status >&3; exit 7'],
      cwd: dir,
      env: { PATH: process.env.PATH, KILN_X: 'x1' },
      pipes: [1, 2, 3],
    });
    const [out, err, status] = await Promise.all([1, 2, 3].map((fd) => text(child.output(fd))));
    expect(await child.closed).toEqual({ code: 7, signal: null });
    expect(out).toBe(`out x1 ${dir}\n`);
    expect(err).toBe('err\n');
    expect(status).toBe('status\n');
    expect(child.pid).toBeGreaterThan(0);
  });

  it('keeps every byte of a process that writes more than a socket holds and ends at once', async () => {
    const child = await spawner.spawn({
      file: 'sh',
      args: ['-c', 'head -c 3000000 /dev/zero | tr "\\0" a'],
      pipes: [1],
    });
    const out = await text(child.output(1));
    expect(out.length).toBe(3_000_000);
    expect((await child.closed).code).toBe(0);
  });

  it('gives outputs that can still be read to their end after the process ended silently', async () => {
    const child = await spawner.spawn({ file: 'true', args: [], pipes: [1, 2] });
    expect(await child.closed).toEqual({ code: 0, signal: null });
    const lines = [];
    for await (const line of new OutputLines({ stdout: child.output(1), stderr: child.output(2) })) lines.push(line);
    expect(lines).toEqual([]);
  });

  it('sends a signal to the process, or to its whole group when it was started detached', async () => {
    const { group: child, grandchild: sleeper } = await detachedGroup();
    expect(alive(sleeper)).toBe(true);
    child.kill('SIGKILL', true);
    expect(await child.closed).toEqual({ code: null, signal: 'SIGKILL' });
    await until(() => !alive(sleeper));
  });

  it('refuses a program that does not exist, and starts the next one', async () => {
    await expect(spawner.spawn({ file: '/nonexistent/program', args: [], pipes: [1] })).rejects.toThrow(/ENOENT/);
    const child = await spawner.spawn({ file: 'true', args: [], pipes: [] });
    expect(await child.closed).toEqual({ code: 0, signal: null });
  });

  it('counts what was running as killed when the spawner is lost, and starts a new spawner', async () => {
    const child = await spawner.spawn({ file: 'sleep', args: ['60'], pipes: [1] });
    const first = spawner.pid!;
    process.kill(first, 'SIGKILL');
    expect(await child.closed).toEqual({ code: null, signal: 'SIGKILL' });
    process.kill(child.pid, 'SIGKILL');
    const next = await spawner.spawn({ file: 'sh', args: ['-c', 'echo again'], pipes: [1] });
    expect(await text(next.output(1))).toBe('again\n');
    expect(spawner.pid).not.toBe(first);
  });

  it('ends a detached group itself when the spawner is lost (no sandbox to die with it)', async () => {
    const { group, grandchild } = await detachedGroup();
    process.kill(spawner.pid!, 'SIGKILL');
    expect(await group.closed).toEqual({ code: null, signal: 'SIGKILL' });
    await until(() => !alive(group.pid) && !alive(grandchild));
  });

  it('ends what it started when the executor goes away (its channel closes)', async () => {
    const plain = await spawner.spawn({ file: 'sleep', args: ['60'], pipes: [] });
    const { group, grandchild } = await detachedGroup();
    const spawnerPid = spawner.pid!;
    spawner.close();
    await until(() => !alive(plain.pid) && !alive(group.pid) && !alive(grandchild) && !alive(spawnerPid));
  });
});
