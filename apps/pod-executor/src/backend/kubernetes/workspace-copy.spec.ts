import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { copyOverExec, OpenExec } from './workspace-collector';

/**
 * The exec stream's two ends as the Kubernetes client gives them: what the remote command writes
 * arrives in `stdout`, its status through the callback, and the socket closes at the end. Here
 * the remote `tar -c` is a real tar on this host, cut or stopped where a test says.
 */
class ExecStream extends EventEmitter {
  closed = false;
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}

describe('copyOverExec (files out of a run volume over the exec API)', () => {
  let source: string;
  let dest: string;
  let archive: Buffer;

  beforeAll(() => {
    source = mkdtempSync(join(tmpdir(), 'copy-src-'));
    mkdirSync(join(source, 'out'));
    writeFileSync(join(source, 'out', 'report.txt'), 'all green\n');
    writeFileSync(join(source, 'big.bin'), Buffer.alloc(512 * 1024, 7));
    archive = execFileSync('tar', ['-c', '-C', source, '.'], { maxBuffer: 16 * 1024 * 1024 });
  });

  beforeEach(() => {
    dest = mkdtempSync(join(tmpdir(), 'copy-dest-'));
  });

  afterEach(() => rmSync(dest, { recursive: true, force: true }));
  afterAll(() => rmSync(source, { recursive: true, force: true }));

  function serving(bytes: Buffer, end: boolean): { open: OpenExec; stream: ExecStream } {
    const stream = new ExecStream();
    const open: OpenExec = async (stdout: Writable, _stderr, onStatus) => {
      setImmediate(() => {
        stdout.write(bytes);
        if (end) {
          onStatus({ status: 'Success' });
          stream.close();
        }
      });
      return stream;
    };
    return { open, stream };
  }

  it('unpacks the whole stream into the directory', async () => {
    const { open } = serving(archive, true);
    await copyOverExec(open, dest, 5_000);
    expect(readFileSync(join(dest, 'out', 'report.txt'), 'utf8')).toBe('all green\n');
    expect(readFileSync(join(dest, 'big.bin')).length).toBe(512 * 1024);
  });

  it('fails, and closes the stream, when it goes silent without closing', async () => {
    const { open, stream } = serving(archive.subarray(0, 100_000), false);
    const started = Date.now();
    await expect(copyOverExec(open, dest, 300)).rejects.toThrow(
      'copying files out of the volume stalled: nothing came for 0.3 s',
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stream.closed).toBe(true);
  });

  it('fails when the stream opens only after the deadline, and closes it then', async () => {
    const stream = new ExecStream();
    const open: OpenExec = () => new Promise((resolve) => setTimeout(() => resolve(stream), 600));
    await expect(copyOverExec(open, dest, 200)).rejects.toThrow(/stalled/);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(stream.closed).toBe(true);
  });

  it('fails with the remote status when the command did not succeed', async () => {
    const stream = new ExecStream();
    const open: OpenExec = async (_stdout, stderr, onStatus) => {
      setImmediate(() => {
        stderr.write('tar: out: Cannot stat: No such file or directory\n');
        onStatus({ status: 'Failure', message: 'command terminated with non-zero exit code' });
        stream.close();
      });
      return stream;
    };
    await expect(copyOverExec(open, dest, 5_000)).rejects.toThrow(
      'copying files out of the volume failed: command terminated with non-zero exit code tar: out: Cannot stat',
    );
  });
});
