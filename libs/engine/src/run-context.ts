import { Run } from '@kiln/db';
import { PipelineDefinition, RunContext, RunEventName, StepDefinition } from '@kiln/definition';
import { PlannedStep } from './step-plan';

/**
 * The run as a step's `when.event` names it: a merge request is `pull_request`, a push of a tag
 * `tag`; a run a person started (manual, or a retry of any run) is both `manual` and `api`.
 */
export function runContext(run: Pick<Run, 'event' | 'branch' | 'tag'>): RunContext {
  const events: Record<string, RunEventName[]> = {
    push: ['push'],
    tag: ['tag'],
    merge_request: ['pull_request'],
    schedule: ['schedule'],
    manual: ['manual', 'api'],
    retry: ['manual', 'api'],
  };
  return { branch: run.branch, tag: run.tag, events: events[run.event] ?? [] };
}

/** A step row with what the plan needs from its definition (approval, retry, when). */
export function plannedStep(
  row: Omit<PlannedStep, 'approval' | 'retry' | 'when'>,
  definition: PipelineDefinition | null,
): PlannedStep {
  const step: StepDefinition | undefined = definition?.steps.find((s) => s.name === row.name);
  return { id: row.id, name: row.name, status: row.status, dependsOn: row.dependsOn, attempt: row.attempt, approval: step?.approval, retry: step?.retry, when: step?.when };
}
