import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What a previous `pnpm start` on the same data directory left running. The launcher writes its
 * pid to `<dataDir>/kiln.pid`; when that process is gone but its children are not (the launcher
 * was killed with SIGKILL, its terminal closed), the next start finds them by what ties them to
 * the data directory — nats-server and PostgreSQL by their arguments, the apps by KILN_DATA_DIR in
 * their environment — and stops them before it needs their ports.
 */
export async function takeOverDataDir(dataDir: string, log: (line: string) => void): Promise<() => void> {
  const pidFile = join(dataDir, 'kiln.pid');
  const previous = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
  if (previous && previous !== process.pid && alive(previous))
    throw new Error(
      `Kiln is already running on ${dataDir} (pid ${previous}); stop it first (Ctrl-C there, or kill ${previous})`,
    );
  const left = leftovers(dataDir);
  for (const { pid, what } of left)
    log(`stopping ${what} (pid ${pid}) left running by a previous start on ${dataDir}`);
  await stopAll(left.map((l) => l.pid));
  writeFileSync(pidFile, `${process.pid}\n`);
  return () => rmSync(pidFile, { force: true });
}

interface Leftover {
  pid: number;
  what: string;
}

function leftovers(dataDir: string): Leftover[] {
  const found: Leftover[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const args = read(`/proc/${pid}/cmdline`).split('\0').filter(Boolean);
    if (args.length === 0) continue;
    const program = args[0].split('/').pop() ?? '';
    const mentionsDataDir = args.some((a) => a === dataDir || a.startsWith(`${dataDir}/`));
    if (program === 'nats-server' && mentionsDataDir) found.push({ pid, what: 'a nats-server' });
    else if (program === 'postgres' && mentionsDataDir) found.push({ pid, what: 'a PostgreSQL server' });
    else if (
      args.some((a) => /dist\/apps\/[a-z-]+\/src\/main\.js$/.test(a)) &&
      environment(pid).includes(`KILN_DATA_DIR=${dataDir}`)
    )
      found.push({
        pid,
        what: `Kiln's ${args
          .find((a) => a.includes('dist/apps/'))!
          .split('/')
          .at(-3)}`,
      });
  }
  return found;
}

/** SIGTERM, then SIGKILL for what is still there after 10 s. */
async function stopAll(pids: number[]): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids.filter(alive)) signal(pid, 'SIGKILL');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !read(`/proc/${pid}/stat`).includes(') Z ');
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone meanwhile: nothing to stop.
  }
}

function environment(pid: number): string[] {
  return read(`/proc/${pid}/environ`).split('\0');
}

// A process may end between listing /proc and reading it; then it has nothing to say.
function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
