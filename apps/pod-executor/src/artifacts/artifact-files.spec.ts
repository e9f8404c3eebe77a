import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactFiles, ArtifactPathError } from './artifact-files';

describe('artifact files', () => {
  let workspace: string;

  beforeEach(() => {
    workspace = mkdtempSync(join(tmpdir(), 'kiln-artifacts-'));
    mkdirSync(join(workspace, 'target/reports/deep'), { recursive: true });
    writeFileSync(join(workspace, 'target/reports/junit.xml'), '<testsuite/>');
    writeFileSync(join(workspace, 'target/reports/deep/coverage.json'), '{}');
    writeFileSync(join(workspace, 'app.tar.gz'), 'bytes');
  });
  afterEach(() => rmSync(workspace, { recursive: true, force: true }));

  const relative = async (path: string) =>
    (await artifactFiles(workspace, path)).files.map((f) => f.relativePath);

  it('collects a single file under its own name', async () => {
    expect(await artifactFiles(workspace, 'app.tar.gz')).toMatchObject({
      files: [{ relativePath: 'app.tar.gz', size: 5 }],
      missing: false,
    });
  });

  it('walks a directory recursively, paths relative to it', async () => {
    expect(await relative('target/reports/')).toEqual(['deep/coverage.json', 'junit.xml']);
  });

  it.each([
    ['../outside', /climbs out with "\.\."/],
    ['target/../../etc/passwd', /climbs out/],
    ['/etc/passwd', /is absolute/],
    ['~/secrets', /is absolute/],
    ['', /empty/],
  ])('refuses the hostile path %j', async (path, message) => {
    await expect(artifactFiles(workspace, path)).rejects.toThrow(ArtifactPathError);
    await expect(artifactFiles(workspace, path)).rejects.toThrow(message);
  });

  it('refuses a symlink that leads out of the workspace', async () => {
    symlinkSync('/etc/passwd', join(workspace, 'passwd'));
    symlinkSync('/etc', join(workspace, 'etc'));
    await expect(artifactFiles(workspace, 'passwd')).rejects.toThrow(/outside the workspace/);
    await expect(artifactFiles(workspace, 'etc/')).rejects.toThrow(/outside the workspace/);
  });

  it('skips symlinks inside a directory that point outside, or to directories, and keeps the rest', async () => {
    symlinkSync('/etc/passwd', join(workspace, 'target/reports/passwd'));
    symlinkSync('/etc', join(workspace, 'target/reports/etc'));
    symlinkSync('../../app.tar.gz', join(workspace, 'target/reports/app-link.tar.gz'));
    const result = await artifactFiles(workspace, 'target/reports');
    expect(result.files.map((f) => f.relativePath)).toEqual([
      'app-link.tar.gz',
      'deep/coverage.json',
      'junit.xml',
    ]);
    expect(result.files[0].absolutePath).toBe(join(workspace, 'app.tar.gz'));
    expect(result.skipped).toEqual([
      { relativePath: 'etc', reason: 'symlink to outside the workspace' },
      { relativePath: 'passwd', reason: 'symlink to outside the workspace' },
    ]);
  });

  it('reports a path the steps did not produce as missing', async () => {
    expect(await artifactFiles(workspace, 'dist/')).toEqual({ files: [], skipped: [], missing: true });
  });
});
