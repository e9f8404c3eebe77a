import { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutputLine } from '../backend';
import { MAX_LINE_CHARS } from '../local/output-lines';
import { KubeApi } from './kube-api';
import { LogCursor, splitLogLine } from './log-cursor';

/** What the pod watch knows about the followed container. */
export type ContainerPhase = 'waiting' | 'running' | 'terminated' | 'unavailable';

export interface FollowedContainer {
  podName: string;
  container: string;
  phase(): ContainerPhase;
  /** Resolves at the next pod update, or after `maxWaitMs` at the latest. */
  nextChange(maxWaitMs: number): Promise<void>;
  /** The step's outcome is known: read failures are retried briefly, not forever. */
  ended(): boolean;
}

/** Failed reads tolerated once the step has ended (a lost node answers every read with an error). */
const RETRIES_AFTER_END = 3;

/**
 * Copies one container's log into `sink` from its first line to its last. Follows the pod log API
 * with timestamps; a stream that breaks (or that the API server closes) is reopened from the last
 * line's time and the replayed lines are dropped by the cursor. Once the watch says the container
 * terminated, one last read that completes cleanly proves the log is drained.
 */
export async function followContainerLog(
  api: KubeApi,
  target: FollowedContainer,
  sink: (line: OutputLine) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const cursor = new LogCursor();
  let failuresAfterEnd = 0;
  let backoffMs = 100;
  while (!signal.aborted) {
    const phase = target.phase();
    if (phase === 'unavailable') return;
    if (phase === 'waiting') {
      await target.nextChange(1000);
      continue;
    }
    const drainOnly = phase === 'terminated';
    const since = cursor.sinceTime();
    cursor.beginResponse();
    const result = await readOnce(api, target, cursor, sink, signal, {
      container: target.container,
      follow: String(!drainOnly),
      timestamps: 'true',
      ...(since ? { sinceTime: since } : {}),
    });
    if (result === 'gone') return;
    if (result === 'complete' && drainOnly) return;
    if (result === 'complete') {
      backoffMs = 100;
      // The follow ended: the container stopped (the watch says so, or soon will) or the server closed it.
      if (target.phase() === 'running') await target.nextChange(500);
      continue;
    }
    if (result === 'not-started') {
      await target.nextChange(1000);
      continue;
    }
    if (target.ended() && ++failuresAfterEnd > RETRIES_AFTER_END) return;
    await sleep(backoffMs, undefined, { signal, ref: false }).catch(() => undefined);
    backoffMs = Math.min(backoffMs * 2, 5000);
  }
}

type ReadResult = 'complete' | 'broken' | 'gone' | 'not-started';

async function readOnce(
  api: KubeApi,
  target: FollowedContainer,
  cursor: LogCursor,
  sink: (line: OutputLine) => Promise<void>,
  signal: AbortSignal,
  query: Record<string, string>,
): Promise<ReadResult> {
  let res: IncomingMessage;
  try {
    res = await api.stream(`/api/v1/namespaces/${api.namespace}/pods/${target.podName}/log`, query, signal);
  } catch {
    // Network trouble reaching the API server: the caller retries.
    return 'broken';
  }
  if (res.statusCode === 404) {
    res.resume();
    return 'gone';
  }
  if (res.statusCode === 400) {
    // "is waiting to start": the watch has not caught up with the container yet.
    res.resume();
    return 'not-started';
  }
  if (res.statusCode !== 200) {
    res.resume();
    return 'broken';
  }
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const emit = async (raw: string) => {
    const { ns, text } = splitLogLine(raw);
    if (!cursor.accept(ns)) return;
    const ts = ns === undefined ? Date.now() : Number(ns / 1_000_000n);
    const clean = text.endsWith('\r') ? text.slice(0, -1) : text;
    for (let i = 0; i === 0 || i < clean.length; i += MAX_LINE_CHARS) {
      await sink({ stream: 'stdout', text: clean.slice(i, i + MAX_LINE_CHARS), ts });
    }
  };
  try {
    for await (const chunk of res) {
      const pieces = (partial + decoder.write(chunk as Buffer)).split('\n');
      partial = pieces.pop() ?? '';
      for (const raw of pieces) await emit(raw);
    }
  } catch {
    // The connection broke mid-body; what was read stays read, the rest is asked for again.
    return 'broken';
  }
  if (!res.complete) return 'broken';
  // A last line without a newline is only final when the stream ended properly.
  const rest = partial + decoder.end();
  if (rest) await emit(rest);
  return 'complete';
}
