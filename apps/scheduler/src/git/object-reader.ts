import { GitCommandError, gitProcessEnv } from '@kiln/git';
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

/** An object read by name: its type and content, or null when the repository has no such object. */
export type GitObject = { type: string; content: Buffer } | null;

const MAX_OBJECT_BYTES = 16 * 1024 * 1024;
const ERROR_TEXT_MAX = 2000;

interface Pending {
  resolve(object: GitObject): void;
  reject(error: Error): void;
}

/**
 * One `git cat-file --batch` kept running on a repository (in the apps' hardened git environment),
 * so that reading an object costs a line on a pipe instead of a git process. Objects fetched into
 * the repository after it started are found too (git looks for new packs when an object is
 * missing). It ends on its own after `idleMs` without reads, on `close()`, or when git fails
 * (a damaged object makes cat-file exit): the reads waiting then fail with git's words.
 */
export class ObjectReader {
  private readonly git: ChildProcessWithoutNullStreams;
  private readonly pending: Pending[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  private stderr = '';
  private idle: NodeJS.Timeout | undefined;
  private closedWith: Error | undefined;

  constructor(
    dir: string,
    private readonly options: { idleMs: number; timeoutMs: number },
  ) {
    this.git = spawn('git', ['-C', dir, 'cat-file', '--batch'], { env: gitProcessEnv() });
    this.git.stdout.on('data', (chunk: Buffer) => this.received(chunk));
    this.git.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < ERROR_TEXT_MAX) this.stderr += chunk.toString('utf8');
    });
    this.git.stdin.on('error', () => undefined);
    this.git.once('error', (error) => this.fail(error.message));
    this.git.once('close', (code, signal) => this.fail(`git cat-file ended (${signal ?? code})`));
    this.arm(options.idleMs);
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** The objects `names` name (any revision syntax without a line break), in order. */
  read(names: string[]): Promise<GitObject[]> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (names.some((name) => /[\r\n]/.test(name))) {
      return Promise.reject(new GitCommandError('object names cannot hold line breaks'));
    }
    const reads = names.map(
      (): Promise<GitObject> => new Promise((resolve, reject) => this.pending.push({ resolve, reject })),
    );
    this.git.stdin.write(names.map((name) => `${name}\n`).join(''));
    // The timeout covers the whole queue: a git that stops answering is killed.
    this.arm(this.options.timeoutMs);
    return Promise.all(reads);
  }

  close(): void {
    this.fail('closed');
  }

  private arm(ms: number): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(
      () => this.fail(this.pending.length ? `git cat-file did not answer within ${ms} ms` : 'idle'),
      ms,
    ).unref();
  }

  private received(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    for (;;) {
      const eol = this.buffered.indexOf(10);
      if (eol < 0) return;
      const header = this.buffered.subarray(0, eol).toString('utf8');
      // "<oid> <type> <size>", or "<name> missing" / "<name> ambiguous".
      const match = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
      if (!match) {
        this.buffered = this.buffered.subarray(eol + 1);
        this.answer(null);
        continue;
      }
      const size = Number(match[2]);
      if (size > MAX_OBJECT_BYTES) return this.fail(`object larger than ${MAX_OBJECT_BYTES} bytes`);
      if (this.buffered.length < eol + 1 + size + 1) return;
      const content = Buffer.from(this.buffered.subarray(eol + 1, eol + 1 + size));
      this.buffered = this.buffered.subarray(eol + 1 + size + 1);
      this.answer({ type: match[1], content });
    }
  }

  private answer(object: GitObject): void {
    this.pending.shift()?.resolve(object);
    if (this.pending.length === 0) this.arm(this.options.idleMs);
  }

  private fail(reason: string): void {
    if (this.closedWith) return;
    clearTimeout(this.idle);
    this.closedWith = new GitCommandError((this.stderr.trim() || reason).slice(0, ERROR_TEXT_MAX));
    this.git.kill('SIGKILL');
    for (const read of this.pending.splice(0)) read.reject(this.closedWith);
  }
}
