import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

/**
 * Starting a process from the executor stops its event loop until the child has called exec:
 * Node forks the whole executor (page tables of ~100 MiB) and waits for the child to be scheduled.
 * Measured in run-throughput's profile on a busy 2-core machine, that wait was 42 % of the
 * executor's busy time, log chunks and NATS acknowledgements waiting behind it. So the sandboxes
 * and the checkout's shell are started by a small process of their own, the spawner: it gets a
 * request over its IPC channel and starts the child with stdio on Unix sockets the executor opened
 * to it, so the child's output reaches the executor directly, never copied through the spawner.
 *
 * The spawner's children die with it: it kills them when the executor goes away (its IPC channel
 * closes), and bubblewrap's --die-with-parent ends a sandbox whose spawner was killed.
 */
const SPAWNER_SOURCE = String.raw`
const { spawn } = require('node:child_process');
const { createServer } = require('node:net');
const { rmSync } = require('node:fs');
const { dirname } = require('node:path');
const [socketPath] = process.argv.slice(1);
const waiting = new Map(); // id -> { request, sockets: Map(fd -> socket) }
const children = new Map(); // id -> ChildProcess
const send = (message) => { if (process.connected) process.send(message); };
function entry(id) {
  let e = waiting.get(id);
  if (!e) waiting.set(id, (e = { request: undefined, sockets: new Map() }));
  return e;
}
function signal(id, name, group) {
  const child = children.get(id);
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (group) process.kill(-child.pid, name);
    else child.kill(name);
  } catch {}
}
function startIfReady(id) {
  const e = waiting.get(id);
  if (!e || !e.request || e.sockets.size < e.request.pipes.length) return;
  waiting.delete(id);
  const { file, args, cwd, env, detached, pipes } = e.request;
  const stdio = ['ignore'];
  for (let fd = 1; fd <= Math.max(2, ...pipes); fd++) stdio[fd] = e.sockets.get(fd) || 'ignore';
  let child;
  try {
    child = spawn(file, args, { cwd, env: env || process.env, detached, stdio });
  } catch (error) {
    send({ op: 'error', id, message: error.message });
    return;
  } finally {
    // The child holds its own copies; closing ours leaves the connections open.
    for (const socket of e.sockets.values()) socket.destroy();
  }
  children.set(id, child);
  child.once('spawn', () => send({ op: 'spawned', id, pid: child.pid }));
  child.once('error', (error) => {
    if (child.pid === undefined) {
      children.delete(id);
      send({ op: 'error', id, message: error.message });
    }
  });
  child.once('exit', (code, sig) => {
    children.delete(id);
    send({ op: 'exit', id, code, signal: sig });
  });
}
const server = createServer((socket) => {
  let head = '';
  const onData = (chunk) => {
    head += chunk.toString('latin1');
    const end = head.indexOf('\n');
    if (end === -1) return void (head.length > 100 && socket.destroy());
    socket.off('data', onData);
    socket.pause();
    const [id, fd] = head.slice(0, end).split(' ').map(Number);
    entry(id).sockets.set(fd, socket);
    // The executor gave up on this request (another connection failed): forget it.
    socket.once('close', () => {
      const e = waiting.get(id);
      if (!e) return;
      waiting.delete(id);
      for (const other of e.sockets.values()) other.destroy();
    });
    startIfReady(id);
  };
  socket.on('data', onData);
  socket.on('error', () => {});
});
process.on('message', (message) => {
  if (message.op === 'spawn') {
    entry(message.id).request = message;
    startIfReady(message.id);
  } else if (message.op === 'kill') signal(message.id, message.signal, message.group);
});
// The executor is gone: so is everything started for it (a detached child with its group).
process.on('disconnect', () => {
  for (const child of children.values()) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      try { child.kill('SIGKILL'); } catch {}
    }
  }
  rmSync(dirname(socketPath), { recursive: true, force: true });
  process.exit(0);
});
// Not listening: the executor sees the exit. An accept that failed (no free fd) loses only that
// connection, whose request the executor then fails.
server.on('error', (error) => {
  process.stderr.write('kiln spawner: ' + error.message + '\n');
  if (!server.listening) process.exit(1);
});
server.listen(socketPath, () => send({ op: 'ready' }));
`;

/** How long a spawn may wait for the spawner's answer. */
const SPAWN_TIMEOUT_MS = 60_000;

export interface SpawnRequest {
  file: string;
  args: string[];
  cwd?: string;
  /** The child's whole environment; the executor's own when absent. */
  env?: NodeJS.ProcessEnv;
  /** In a process group of its own, so kill(signal, true) reaches what it started. */
  detached?: boolean;
  /** The file descriptors (1, 2, 3, …) the caller reads; stdin and the others are /dev/null. */
  pipes: number[];
}

export interface ChildEnd {
  /** null with the signal, or both null when the spawner itself was lost. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process started by the spawner: its piped output, and its end. */
export class SpawnedProcess {
  private ended?: ChildEnd;
  /** Resolved when the process has ended and every piped output is closed (ChildProcess 'close'). */
  readonly closed: Promise<ChildEnd>;
  /** Resolved when the process has ended (ChildProcess 'exit'). */
  readonly exited: Promise<ChildEnd>;
  private endExit!: (end: ChildEnd) => void;

  constructor(
    private readonly spawner: Spawner,
    private readonly id: number,
    readonly pid: number,
    private readonly outputs: Map<number, Socket>,
    /** Started in a process group of its own. */
    readonly detached = false,
  ) {
    this.exited = new Promise((resolve) => (this.endExit = resolve));
    const outputsClosed = [...outputs.values()].map(
      (socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve()))),
    );
    this.closed = Promise.all([this.exited, ...outputsClosed]).then(([end]) => end);
  }

  /** The stream of one piped file descriptor. */
  output(fd: number): Readable {
    const socket = this.outputs.get(fd);
    if (!socket) throw new Error(`fd ${fd} was not piped`);
    return socket;
  }

  get hasEnded(): boolean {
    return this.ended !== undefined;
  }

  /** Sends a signal, to the process group when `group` (the process was started detached). */
  kill(signal: NodeJS.Signals = 'SIGTERM', group = false): void {
    if (!this.ended) this.spawner.signal(this.id, signal, group);
  }

  /** @internal the spawner reported the end (or was lost: then the outputs are cut too). */
  end(end: ChildEnd, lost = false): void {
    if (this.ended) return;
    this.ended = end;
    if (lost) for (const socket of this.outputs.values()) socket.destroy();
    this.endExit(end);
  }
}

interface Starting {
  resolve: (child: SpawnedProcess) => void;
  reject: (error: Error) => void;
  outputs: Map<number, Socket>;
  detached: boolean;
}

interface SpawnerMessage {
  op: 'ready' | 'spawned' | 'error' | 'exit';
  id: number;
  pid?: number;
  message?: string;
  code?: number | null;
  signal?: NodeJS.Signals | null;
}

/** The executor's side of the spawner process (see SPAWNER_SOURCE): started at the first spawn, again after it is lost. */
export class Spawner {
  private process?: ChildProcess;
  private ready?: Promise<string>;
  private nextId = 1;
  /** spawn() calls not yet answered: the spawner is kept referenced meanwhile. */
  private requests = 0;
  private readonly starting = new Map<number, Starting>();
  private readonly running = new Map<number, SpawnedProcess>();

  async spawn(request: SpawnRequest): Promise<SpawnedProcess> {
    this.requests += 1;
    this.refWhileBusy();
    try {
      return await this.request(request);
    } finally {
      this.requests -= 1;
      this.refWhileBusy();
    }
  }

  private async request(request: SpawnRequest): Promise<SpawnedProcess> {
    const socketPath = await this.start();
    const child = this.process;
    if (!child) throw new Error('cannot reach the spawner: it has just ended');
    const id = this.nextId++;
    const opened = await Promise.allSettled(
      request.pipes.map(async (fd) => [fd, await openOutput(socketPath, `${id} ${fd}\n`)] as const),
    );
    const outputs = new Map<number, Socket>();
    for (const result of opened) if (result.status === 'fulfilled') outputs.set(...result.value);
    const failed = opened.find((result) => result.status === 'rejected');
    if (failed || this.process !== child) {
      for (const socket of outputs.values()) socket.destroy();
      const why = failed ? (failed.reason as Error).message : 'the spawner was replaced';
      throw new Error(`cannot reach the spawner: ${why}`, { cause: failed?.reason });
    }
    return new Promise<SpawnedProcess>((resolve, reject) => {
      const fail = (why: string) => {
        if (!this.starting.has(id)) return;
        this.starting.delete(id);
        clearTimeout(timer);
        for (const socket of outputs.values()) socket.destroy();
        reject(new Error(`cannot reach the spawner: ${why}`));
      };
      // A connection the spawner could not accept (no free fd) would leave the request waiting.
      const timer = setTimeout(() => fail(`no answer in ${SPAWN_TIMEOUT_MS / 1000} s`), SPAWN_TIMEOUT_MS);
      this.starting.set(id, {
        resolve: (spawned) => (clearTimeout(timer), resolve(spawned)),
        reject: (error) => (clearTimeout(timer), reject(error)),
        outputs,
        detached: request.detached ?? false,
      });
      child.send({ op: 'spawn', id, ...request }, (error) => error && fail(error.message));
    });
  }

  /** @internal */
  signal(id: number, signal: NodeJS.Signals, group: boolean): void {
    if (this.process?.connected) this.process.send({ op: 'kill', id, signal, group }, () => undefined);
  }

  /** The spawner's own pid, while it runs. */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Stops the spawner, and with it every process it started. */
  close(): void {
    if (this.process?.connected) this.process.disconnect();
  }

  private start(): Promise<string> {
    if (this.ready) return this.ready;
    // A private directory (mkdtemp: mode 0700): only this uid (and root) can reach the socket.
    const dir = mkdtempSync(join(tmpdir(), 'kiln-spawner-'));
    const socketPath = join(dir, 's');
    const child = spawn(process.execPath, ['-e', SPAWNER_SOURCE, socketPath], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Kept small: each fork it makes copies its page tables.
      env: { ...process.env, NODE_OPTIONS: '--max-semi-space-size=1' },
    });
    this.process = child;
    const ready = new Promise<string>((resolve, reject) => {
      child.on('message', (message: SpawnerMessage) => {
        if (message.op === 'ready') resolve(socketPath);
        else this.onMessage(message);
      });
      const gone = (reason: string) => {
        reject(new Error(`the spawner ended before it was ready (${reason})`));
        this.lost(child, `the spawner ended (${reason})`);
        rmSync(dir, { recursive: true, force: true });
      };
      // Not started at all (no free pid or fd): an 'error' and no 'exit'. Later 'error's are
      // failed sends to a spawner that is going away; its 'exit' follows.
      child.on('error', (error) => {
        if (child.pid === undefined) gone(error.message);
      });
      child.once('exit', (code, signal) => gone(String(signal ?? code)));
    });
    this.ready = ready;
    ready.catch(() => undefined);
    this.refWhileBusy();
    return ready;
  }

  private onMessage(message: SpawnerMessage): void {
    const starting = this.starting.get(message.id);
    if (message.op === 'spawned' && starting) {
      this.starting.delete(message.id);
      const child = new SpawnedProcess(this, message.id, message.pid!, starting.outputs, starting.detached);
      this.running.set(message.id, child);
      starting.resolve(child);
    } else if (message.op === 'error' && starting) {
      this.starting.delete(message.id);
      for (const socket of starting.outputs.values()) socket.destroy();
      starting.reject(new Error(message.message));
    } else if (message.op === 'exit') {
      this.running.get(message.id)?.end({ code: message.code ?? null, signal: message.signal ?? null });
      this.running.delete(message.id);
    }
    this.refWhileBusy();
  }

  /** The spawner is gone: what it was starting fails, what it started counts as killed. */
  private lost(child: ChildProcess, reason: string): void {
    if (this.process !== child) return;
    this.process = undefined;
    this.ready = undefined;
    for (const [, starting] of this.starting) {
      for (const socket of starting.outputs.values()) socket.destroy();
      starting.reject(new Error(reason));
    }
    this.starting.clear();
    for (const [, running] of this.running) {
      // A sandbox dies with its spawner (--die-with-parent); a detached group would run on.
      if (running.detached) {
        try {
          process.kill(-running.pid, 'SIGKILL');
        } catch {
          // It had ended.
        }
      }
      running.end({ code: null, signal: 'SIGKILL' }, true);
    }
    this.running.clear();
  }

  /** The spawner keeps this process alive only while something of it is starting or running. */
  private refWhileBusy(): void {
    const child = this.process;
    if (!child) return;
    const busy = this.requests + this.running.size > 0;
    if (busy) {
      child.ref();
      child.channel?.ref();
    } else {
      child.unref();
      child.channel?.unref();
    }
  }
}

function openOutput(socketPath: string, header: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    socket.once('error', reject);
    socket.once('connect', () =>
      socket.write(header, (error) => {
        if (error) return reject(error);
        socket.off('error', reject);
        socket.on('error', () => undefined);
        resolve(socket);
      }),
    );
  });
}

let shared: Spawner | undefined;
/** The executor's one spawner. */
export function spawner(): Spawner {
  shared ??= new Spawner();
  return shared;
}
