import { PipelineDefinition, RunContext, RunEventName, StepDefinition } from '@kiln/definition';
import { PlannedStep } from './step-plan';

/**
 * The run as a step's `when.event` names it: a merge request is `pull_request`, a push of a tag
 * `tag`; a run a person started (manual, or a retry of any run) is both `manual` and `api`.
 */
export function runContext(run: { event: string; branch: string | null; tag: string | null }): RunContext {
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

/** What the plan needs from a step's definition (approval, retry, when); nothing for a step it lacks. */
export function stepRules(name: string, definition: PipelineDefinition | null): Pick<PlannedStep, 'approval' | 'retry' | 'when'> {
  const step: StepDefinition | undefined = definition?.steps.find((s) => s.name === name);
  return { approval: step?.approval, retry: step?.retry, when: step?.when };
}
