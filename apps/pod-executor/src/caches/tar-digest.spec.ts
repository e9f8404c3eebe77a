import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packPaths, unpackInto } from '../backend/workspace-archive';
import { firstFileDigest } from './tar-digest';

describe('workspace archives and checksums', () => {
  let from: string;
  let to: string;

  beforeEach(() => {
    from = mkdtempSync(join(tmpdir(), 'kiln-pack-'));
    to = mkdtempSync(join(tmpdir(), 'kiln-unpack-'));
  });
  afterEach(() => {
    rmSync(from, { recursive: true, force: true });
    rmSync(to, { recursive: true, force: true });
  });

  it('packs the paths that exist, relative to the workspace, and unpacks them elsewhere', async () => {
    mkdirSync(join(from, 'node_modules/.bin'), { recursive: true });
    writeFileSync(join(from, 'node_modules/.bin/tool'), '#!/bin/sh\n', { mode: 0o700 });
    writeFileSync(join(from, 'other.txt'), 'not asked for');
    await unpackInto(to, await packPaths(from, ['node_modules', 'missing', '../outside', '/etc']));
    expect(readFileSync(join(to, 'node_modules/.bin/tool'), 'utf8')).toBe('#!/bin/sh\n');
    // Every step user of the run may change and run what a restore puts back.
    expect(statSync(join(to, 'node_modules/.bin/tool')).mode & 0o755).toBe(0o755);
    expect(() => statSync(join(to, 'other.txt'))).toThrow();
  });

  it('answers an empty archive when no path exists', async () => {
    await unpackInto(to, await packPaths(from, ['missing']));
    expect(await firstFileDigest(await packPaths(from, ['missing']))).toBeUndefined();
  });

  it('hashes the file a checksum template names, and nothing for a folder or a link', async () => {
    const lock = 'x'.repeat(5000);
    mkdirSync(join(from, 'dir'));
    writeFileSync(join(from, 'package-lock.json'), lock);
    symlinkSync('/etc/hostname', join(from, 'link'));
    const sha = createHash('sha256').update(lock).digest('hex');
    expect(await firstFileDigest(await packPaths(from, ['package-lock.json']))).toBe(sha);
    expect(await firstFileDigest(await packPaths(from, ['dir']))).toBeUndefined();
    expect(await firstFileDigest(await packPaths(from, ['link']))).toBeUndefined();
  });
});
