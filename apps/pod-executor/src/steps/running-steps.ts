import { Injectable } from '@nestjs/common';
import { StepHandle } from '../backend/backend';

export type KillReason = 'timeout' | 'no-output' | 'cancel' | 'shutdown';

/** One step attempt this executor is running, from the dispatch to its `kiln.step.finished`. */
export interface RunningStep {
  readonly key: string;
  readonly runId: string;
  readonly stepId: string;
  readonly attempt: number;
  handle?: StepHandle;
  /** Why the executor ended the step, once it decided to. The first reason wins. */
  killReason?: KillReason;
  killDetail?: string;
}

/**
 * The steps running on this executor (in memory on purpose: they are this process's children).
 * Heartbeats list them, cancel and shutdown find them, duplicate dispatches are caught here.
 */
@Injectable()
export class RunningSteps {
  private readonly steps = new Map<string, RunningStep>();

  static key(stepId: string, attempt: number): string {
    return `${stepId}:${attempt}`;
  }

  /** Registers the attempt, or returns undefined when it is already running here. */
  add(runId: string, stepId: string, attempt: number): RunningStep | undefined {
    const key = RunningSteps.key(stepId, attempt);
    if (this.steps.has(key)) return undefined;
    const step: RunningStep = { key, runId, stepId, attempt };
    this.steps.set(key, step);
    return step;
  }

  remove(step: RunningStep): void {
    this.steps.delete(step.key);
  }

  get size(): number {
    return this.steps.size;
  }

  keys(): string[] {
    return [...this.steps.keys()];
  }

  runIds(): Set<string> {
    return new Set([...this.steps.values()].map((s) => s.runId));
  }

  all(): RunningStep[] {
    return [...this.steps.values()];
  }

  ofRun(runId: string): RunningStep[] {
    return this.all().filter((s) => s.runId === runId);
  }
}
