import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TestGitRepo {
  /** Directory of the (non-bare) repository; usable as a clone URL. */
  dir: string;
  url: string;
  /** Writes the files (path → content; null deletes), commits them and returns the sha. */
  commit(files: Record<string, string | null>, message?: string, branch?: string): string;
  tag(name: string, sha?: string): void;
  remove(): void;
}

/** A real git repository in a temporary directory, for tests that push or clone. */
export function createGitRepo(): TestGitRepo {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-repo-'));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Kiln Test',
        GIT_AUTHOR_EMAIL: 'test@kiln.dev',
        GIT_COMMITTER_NAME: 'Kiln Test',
        GIT_COMMITTER_EMAIL: 'test@kiln.dev',
      },
    }).trim();
  git('init', '-q', '-b', 'main');
  return {
    dir,
    url: `file://${dir}`,
    commit(files, message = 'change', branch) {
      if (branch) git('checkout', '-q', '-B', branch);
      for (const [path, content] of Object.entries(files)) {
        const full = join(dir, path);
        if (content === null) {
          rmSync(full, { force: true });
        } else {
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, content);
        }
      }
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    tag(name, sha = 'HEAD') {
      git('tag', name, sha);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
