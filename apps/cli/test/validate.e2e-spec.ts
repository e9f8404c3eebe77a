import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KilnCli } from './cli.harness';

// No server here: validation and usage errors must work offline.
describe('kiln without a server', () => {
  const cli = new KilnCli({ KILN_SERVER: 'http://127.0.0.1:9' });
  const dir = mkdtempSync(join(tmpdir(), 'kiln-validate-'));
  afterAll(() => {
    cli.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('validates a good .platform.yaml offline and names its steps', async () => {
    writeFileSync(
      join(dir, '.platform.yaml'),
      'pipeline:\n  steps:\n    - name: test\n      image: node:20\n      commands: [npm test]\n    - name: build\n      image: node:20\n      depends_on: [test]\n      commands: [npm run build]\n',
    );
    const result = await cli.run(['validate'], { cwd: dir });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('.platform.yaml is valid: 2 step(s): test, build');
  });

  it('reports every problem with file:line:col, the line and a caret, and exits 1', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      'pipeline:\n  steps:\n    - name: test\n      imag: node\n      commands: [echo]\n      depends_on: [nope]\n',
    );
    const result = await cli.run(['validate', file]);
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        `${file}:4:7: error: steps[0].imag: unknown key "imag" (did you mean "image"?)`,
        '4 |       imag: node',
        '  |       ^',
        `${file}:6:20: error: steps[0].depends_on: unknown step "nope"`,
        '  |                    ^',
      ]),
    );
    expect(result.stderr.trim().split('\n')).toEqual([
      `kiln: error: ${file} is not a valid definition (3 problem(s))`,
    ]);
  });

  it('answers --json with the same errors the server gives', async () => {
    const file = join(dir, 'cycle.yaml');
    writeFileSync(
      file,
      'pipeline:\n  steps:\n    - {name: a, image: x, commands: [x], depends_on: [b]}\n    - {name: b, image: x, commands: [x], depends_on: [a]}\n',
    );
    const result = await cli.run(['validate', file, '--json']);
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout);
    expect(body.valid).toBe(false);
    expect(body.errors[0]).toMatchObject({
      line: expect.any(Number),
      column: expect.any(Number),
      message: expect.stringContaining('cycle'),
    });
  });

  it('exits 2 with one line for usage errors', async () => {
    for (const args of [
      ['validate', join(dir, 'missing.yaml')],
      ['frobnicate'],
      ['runs', '--status', 'bogus'],
      ['runs', '--limit', '0'],
    ]) {
      const result = await cli.run(args);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^kiln: error: /);
    }
  });

  it('exits 3 when the server cannot be reached', async () => {
    const result = await cli.run(['projects'], { env: { KILN_TOKEN: 'kiln_whatever' } });
    expect(result.code).toBe(3);
    expect(result.stderr.trim()).toMatch(/^kiln: error: cannot reach http:\/\/127\.0\.0\.1:9: /);
  });

  it('documents the exit codes in its help', async () => {
    const result = await cli.run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('3  server or authentication error');
  });
});
