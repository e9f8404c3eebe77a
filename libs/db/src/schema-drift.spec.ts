import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(__dirname, '../../..');
const diffTool = join(root, 'tools/prisma-diff/diff.js');

async function diff(...args: string[]): Promise<string> {
  if (!existsSync(join(root, 'tools/prisma-diff/node_modules/prisma'))) {
    throw new Error('tools/prisma-diff is not installed: run `pnpm install` at the repository root');
  }
  const { stdout } = await promisify(execFile)(process.execPath, [diffTool, ...args], {
    cwd: root,
    env: { ...process.env },
  });
  return stdout;
}

describe('prisma/migrations', () => {
  let tmp: string;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kiln-drift-'));
  });

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('produce exactly the model in schema.prisma (else: node tools/prisma-diff/diff.js --create <name>)', async () => {
    expect(await diff()).toBe('');
  });

  it('are checked by a diff that does notice a change to the model', async () => {
    const schema = readFileSync(join(root, 'prisma/schema.prisma'), 'utf8').replace(
      /model Executor \{/,
      'model Executor {\n  driftProbe Int? @map("drift_probe")',
    );
    writeFileSync(join(tmp, 'schema.prisma'), schema);

    expect(await diff('--schema', join(tmp, 'schema.prisma'))).toContain(
      'ALTER TABLE "executors" ADD COLUMN     "drift_probe" INTEGER;',
    );
  });
});
