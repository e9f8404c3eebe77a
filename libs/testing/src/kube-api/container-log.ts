import { EventEmitter } from 'node:events';
import { ServerResponse } from 'node:http';

export interface LogEntry {
  /** Nanoseconds since the epoch, as the container runtime stamps each line. */
  ns: bigint;
  text: string;
  /** The container's last output did not end with a newline. */
  partial?: boolean;
}

export interface LogRequest {
  follow: boolean;
  timestamps: boolean;
  sinceNs?: bigint;
  tailLines?: number;
  limitBytes?: number;
  /** Destroy the connection after this many lines (a broken stream, for tests). */
  breakAfterLines?: number;
}

/**
 * One container's log as the kubelet keeps it: stdout and stderr merged line by line, each line
 * stamped when it was read. Followers get new lines until the container ends.
 */
export class ContainerLog extends EventEmitter {
  readonly entries: LogEntry[] = [];
  closed = false;
  private readonly partials = { stdout: '', stderr: '' };
  private lastNs = 0n;

  constructor(private readonly coarseTimestamps = false) {
    super();
    this.setMaxListeners(0);
  }

  write(stream: 'stdout' | 'stderr', chunk: string): void {
    const pieces = (this.partials[stream] + chunk).split('\n');
    this.partials[stream] = pieces.pop() ?? '';
    for (const text of pieces) this.push({ ns: this.stamp(), text });
  }

  /** The node died: every open follow connection drops without an end. */
  sever(): void {
    this.emit('sever');
  }

  close(): void {
    if (this.closed) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partials[stream]) this.push({ ns: this.stamp(), text: this.partials[stream], partial: true });
      this.partials[stream] = '';
    }
    this.closed = true;
    this.emit('closed');
  }

  serve(res: ServerResponse, request: LogRequest): void {
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    let sent = 0;
    let bytes = 0;
    let done = false;
    const detach = () => {
      done = true;
      this.off('entry', onEntry);
      this.off('closed', onClosed);
      this.off('sever', onSever);
    };
    const finish = () => {
      if (done) return;
      detach();
      res.end();
    };
    // A real break: the connection dies without the chunked terminator.
    const onSever = () => {
      if (done) return;
      detach();
      res.socket?.destroy();
    };
    const send = (entry: LogEntry): void => {
      if (done || (request.sinceNs !== undefined && entry.ns < request.sinceNs)) return;
      const line = `${request.timestamps ? `${formatNs(entry.ns)} ` : ''}${entry.text}${entry.partial ? '' : '\n'}`;
      bytes += Buffer.byteLength(line);
      res.write(line);
      sent += 1;
      if (request.breakAfterLines !== undefined && sent >= request.breakAfterLines) return onSever();
      if (request.limitBytes !== undefined && bytes >= request.limitBytes) finish();
    };
    const onEntry = (entry: LogEntry) => send(entry);
    const onClosed = () => finish();
    let backlog = this.entries.filter((e) => request.sinceNs === undefined || e.ns >= request.sinceNs);
    if (request.tailLines !== undefined)
      backlog = backlog.slice(Math.max(0, backlog.length - request.tailLines));
    for (const entry of backlog) send(entry);
    if (done) return;
    if (!request.follow || this.closed) return finish();
    this.on('entry', onEntry);
    this.on('closed', onClosed);
    this.on('sever', onSever);
    res.on('close', finish);
  }

  private push(entry: LogEntry): void {
    this.entries.push(entry);
    this.emit('entry', entry);
  }

  private stamp(): bigint {
    const now = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    let ns = now > this.lastNs ? now : this.lastNs;
    if (this.coarseTimestamps) ns = (ns / 1_000_000_000n) * 1_000_000_000n;
    this.lastNs = ns;
    return ns;
  }
}

/** RFC 3339 with nine fractional digits, as the kubelet writes log timestamps. */
export function formatNs(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, `.${fraction}Z`);
}

/** Parses the `sinceTime` query parameter (RFC 3339, fractional seconds optional) into nanoseconds. */
export function parseTimeNs(text: string): bigint | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`) / 1000;
  const fraction = BigInt((match[2] ?? '.0').slice(1).padEnd(9, '0').slice(0, 9));
  return BigInt(seconds) * 1_000_000_000n + fraction;
}
