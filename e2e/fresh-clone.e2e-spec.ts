/* What a new user gets from `git clone`: the committed tree, not this checkout's working files.
   Cheap on purpose (no setup.sh, no platform): it checks that what README.md tells them to run
   is there; e2e/readme-demo.e2e-spec.ts runs the demo itself. */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEMO_GATEWAY, DEMO_TOKEN, demoBlock, readmeShellBlock } from './readme-blocks';

const ROOT = resolve(__dirname, '..');

/** Each command line of a shell block, without its comment. */
const commandLines = (block: string) =>
  block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

describe('a fresh clone of the repository', () => {
  let clone: string;

  beforeAll(() => {
    clone = mkdtempSync(join(tmpdir(), 'kiln-clone-'));
    execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${ROOT}`, clone], { stdio: 'pipe' });
  });

  afterAll(() => {
    if (clone) rmSync(clone, { recursive: true, force: true });
  });

  it("has every script and pnpm command of README's quick start", () => {
    const lines = commandLines(readmeShellBlock(clone, '## Quick start'));
    const scripts = (JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
      .scripts;
    const files = lines.flatMap((line) => [...line.matchAll(/\bbash (\S+)/g)].map((m) => m[1]));
    const pnpm = lines.flatMap((line) => [...line.matchAll(/\bpnpm (\w[\w:-]*)/g)].map((m) => m[1]));

    expect(files).toEqual(expect.arrayContaining(['scripts/start.sh', 'scripts/setup.sh']));
    expect(files.filter((file) => !existsSync(join(clone, file)))).toEqual([]);
    expect(pnpm).toContain('test');
    expect(pnpm.filter((name) => scripts[name] === undefined)).toEqual([]);
    // The prose sends them to `pnpm start` once set up.
    expect(scripts.start).toBe('bash scripts/start.sh');
  });

  it('has the demo block that e2e/readme-demo runs, with a committed kiln CLI and only commands it knows', () => {
    const demo = demoBlock(clone);
    // The demo test points the block at its platform by replacing these; a block without them
    // would run against localhost instead.
    expect(demo).toContain(DEMO_GATEWAY);
    expect(demo).toContain(DEMO_TOKEN);
    expect(readFileSync(join(clone, 'e2e', 'readme-demo.e2e-spec.ts'), 'utf8')).toContain('demoBlock(ROOT)');

    const cli = /^KILN="\$PWD\/(\S+)"/m.exec(demo)?.[1];
    expect(cli).toBe('apps/cli/bin/kiln');
    accessSync(join(clone, cli!), constants.X_OK);

    const sources = readdirSync(join(clone, 'apps/cli/src/commands'))
      .filter((file) => file.endsWith('.command.ts'))
      .map((file) => readFileSync(join(clone, 'apps/cli/src/commands', file), 'utf8'))
      .join('\n');
    const declared = (word: string) => new RegExp(`\\.command\\('${word}[ ']`).test(sources);
    const used = commandLines(demo)
      .map((line) => /^"\$KILN" ([a-z][a-z-]*)(?: ([a-z][a-z-]*)\b(?!\/))?/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .flatMap((m) => (m[2] === undefined ? [m[1]] : [m[1], m[2]]));
    expect(used).toEqual(expect.arrayContaining(['projects', 'create', 'hook', 'test', 'run', 'runs']));
    expect(used.filter((word) => !declared(word))).toEqual([]);
  });
});
