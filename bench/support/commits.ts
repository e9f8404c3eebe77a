import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestGitRepo } from '@kiln/testing';

/**
 * Adds `count` commits on top of main (each changing README.md) in one `git fast-import`, and
 * returns their shas in order: hundreds of commits cost one process instead of three each.
 */
export function commitSeries(repo: TestGitRepo, count: number): string[] {
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo.dir, encoding: 'utf8' }).trim();
  const marks = join(repo.dir, '.git', 'bench-marks');
  const when = Math.floor(Date.now() / 1000);
  let stream = '';
  for (let i = 1; i <= count; i++) {
    const message = `bench change ${i}\n`;
    const readme = `bench change ${i}\n`;
    stream +=
      `commit refs/heads/main\nmark :${i}\ncommitter Kiln Bench <bench@kiln.dev> ${when} +0000\n` +
      `data ${Buffer.byteLength(message)}\n${message}` +
      (i === 1 ? `from ${head}\n` : '') +
      `M 100644 inline README.md\ndata ${Buffer.byteLength(readme)}\n${readme}\n`;
  }
  execFileSync('git', ['fast-import', '--quiet', `--export-marks=${marks}`], {
    cwd: repo.dir,
    input: stream,
  });
  const shas = new Map(
    readFileSync(marks, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
  rmSync(marks);
  // The work tree follows main again, so later commits through the repo helper build on these.
  execFileSync('git', ['reset', '-q', '--hard', 'main'], { cwd: repo.dir });
  return Array.from({ length: count }, (_, i) => shas.get(`:${i + 1}`)!);
}
