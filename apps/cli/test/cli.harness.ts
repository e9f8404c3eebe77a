import { Platform, startPlatform } from '@kiln/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI_MAIN = resolve(__dirname, '../../../dist/apps/cli/src/main.js');

export interface KilnResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface KilnProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once stdout+stderr match (or rejects after the timeout, showing what was printed). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<KilnResult>;
}

/** The compiled `kiln` binary run as a child process, with its own config directory. */
export class KilnCli {
  readonly configHome = mkdtempSync(join(tmpdir(), 'kiln-cli-home-'));

  constructor(private readonly baseEnv: Record<string, string> = {}) {}

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      XDG_CONFIG_HOME: this.configHome,
      NO_COLOR: '1',
      ...this.baseEnv,
      ...extra,
    };
    for (const key of ['KILN_SERVER', 'KILN_TOKEN', 'KILN_PROJECT', 'FORCE_COLOR'])
      if (!(key in { ...this.baseEnv, ...extra })) delete env[key];
    return env;
  }

  spawn(
    args: string[],
    options: { env?: Record<string, string>; input?: string; cwd?: string } = {},
  ): KilnProcess {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      env: this.env(options.env),
      cwd: options.cwd,
    });
    let stdout = '';
    let stderr = '';
    const listeners = new Set<() => void>();
    child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), listeners.forEach((l) => l())));
    child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), listeners.forEach((l) => l())));
    child.stdin.end(options.input ?? '');
    const exited = new Promise<KilnResult>((done) =>
      child.on('close', (code) => done({ code, stdout, stderr })),
    );
    const output = () => stdout + stderr;
    return {
      child,
      output,
      exited,
      waitFor: (pattern, timeoutMs = 30_000) =>
        new Promise((ok, fail) => {
          const check = () => {
            const match = output().match(pattern);
            if (!match) return;
            listeners.delete(check);
            clearTimeout(timer);
            ok(match);
          };
          const timer = setTimeout(() => {
            listeners.delete(check);
            fail(new Error(`kiln ${args.join(' ')} never printed ${pattern}; it printed:\n${output()}`));
          }, timeoutMs);
          listeners.add(check);
          check();
        }),
    };
  }

  run(
    args: string[],
    options: { env?: Record<string, string>; input?: string; cwd?: string } = {},
  ): Promise<KilnResult> {
    return this.spawn(args, options).exited;
  }

  remove(): void {
    rmSync(this.configHome, { recursive: true, force: true });
  }
}

export type TestPlatform = Platform & { gateway: string };

/** All six apps as real processes (from dist/) on a fresh database, NATS prefix and data directory. */
export async function startTestPlatform(): Promise<TestPlatform> {
  const platform = await startPlatform();
  return { ...platform, gateway: platform.apps.url('gateway') };
}
