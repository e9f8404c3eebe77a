import { ApiClient } from '../api/api-client';
import { runPath } from '../api/references';
import { isTerminal, Project, Run, Step } from '@kiln/api-wire';
import { ServerError } from '../errors';
import { colors, stepPaint } from '../output/style';
import { LogLine, readStepLog } from './step-log-reader';

export interface FollowOptions {
  /** Only these steps (by name); all steps when empty. */
  steps?: string[];
  /** Wait for running steps and the run to finish; otherwise show what there is and return. */
  follow: boolean;
  /** Prefix each line with its step's name in the step's colour. */
  prefix: boolean;
  write: (text: string) => void;
  pollMs?: number;
}

const MAX_STREAM_FAILURES = 8;

/**
 * Shows the logs of a run's steps as they appear: a reader per step that has started, polling the
 * run for steps that start later, until the run ends (follow) or what exists has been shown.
 */
export class RunFollower {
  private readonly width: number;
  private readonly order: Map<string, number>;

  constructor(
    private readonly client: ApiClient,
    private readonly project: Project,
    private readonly run: Run,
    private readonly options: FollowOptions,
  ) {
    const steps = run.steps ?? [];
    this.order = new Map(steps.map((s, i) => [s.name, i]));
    this.width = Math.max(0, ...this.selected(steps).map((s) => s.name.length));
  }

  /** Shows the logs and answers the run as last seen (finished, when following). */
  async start(): Promise<Run> {
    const readers = new Map<string, Promise<void>>();
    // Each reader's failure is kept as it happens (a rejection seen only after the polling loop
    // would be unhandled, ending the CLI with a stack) and thrown once the others are done.
    let failure: { error: unknown } | undefined;
    const kept = (reader: Promise<void>) => reader.catch((error: unknown) => void (failure ??= { error }));
    let current = this.run;
    for (;;) {
      // Steps first seen already finished are shown one after the other in step order, then
      // the running ones side by side: a run joined late reads top to bottom.
      let finished = Promise.resolve();
      for (const step of this.selected(current.steps ?? [])) {
        if (!hasLog(step) || readers.has(step.id)) continue;
        if (step.status === 'running') {
          readers.set(step.id, kept(finished.then(() => this.showStep(step))));
        } else {
          finished = finished.then(() => this.showStep(step));
          readers.set(step.id, kept(finished));
        }
      }
      if (failure || !this.options.follow || isTerminal(current.status)) break;
      await sleep(this.options.pollMs ?? 1000);
      try {
        current = await this.client.get<Run>(runPath(this.project.id, current.id));
      } catch (error) {
        await Promise.all(readers.values());
        throw error;
      }
    }
    await Promise.all(readers.values());
    if (failure) throw failure.error;
    return this.options.follow ? this.client.get<Run>(runPath(this.project.id, current.id)) : current;
  }

  private selected(steps: Step[]): Step[] {
    const wanted = this.options.steps ?? [];
    return wanted.length ? steps.filter((s) => wanted.includes(s.name)) : steps;
  }

  /** Reads one step's log to its end, resuming dropped connections where they stopped. */
  private async showStep(step: Step): Promise<void> {
    const path = `${runPath(this.project.id, this.run.id)}/steps/${step.id}/logs`;
    let lastEventId: string | undefined;
    let failures = 0;
    for (;;) {
      const before = lastEventId;
      try {
        const result = await readStepLog(this.client, path, (line) => this.print(step, line), {
          live: this.options.follow,
          lastEventId,
        });
        if (result.complete) return;
        lastEventId = result.lastEventId;
      } catch (error) {
        // A gateway restart or a proxy hiccup is retried; a refusal (401, 404...) is final.
        const retryable = error instanceof ServerError && (error.status === undefined || error.status >= 500);
        if (!retryable) throw error;
      }
      failures = lastEventId !== before ? 0 : failures + 1;
      if (failures >= MAX_STREAM_FAILURES)
        throw new ServerError(`the log of step ${step.name} keeps breaking off`);
      await sleep(Math.min(250 * 2 ** failures, 4000));
    }
  }

  private print(step: Step, line: LogLine): void {
    const text = line.stream === 'system' ? colors.dim(line.text) : line.text;
    if (!this.options.prefix) {
      this.options.write(`${text}\n`);
      return;
    }
    const paint = stepPaint(this.order.get(step.name) ?? 0);
    this.options.write(`${paint(step.name.padEnd(this.width))} ${colors.dim('│')} ${text}\n`);
  }
}

/** A step that has produced (or is producing) a log: it started at some point. */
export function hasLog(step: Step): boolean {
  return step.status === 'running' || step.started_at !== null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
