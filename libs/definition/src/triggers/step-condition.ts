import { RunEventName, StepCondition } from '../definition.model';
import { globMatch } from './glob-match';

/** What a run was started by and on, as a step's `when:` sees it. */
export interface RunContext {
  branch?: string | null;
  tag?: string | null;
  events: RunEventName[];
}

/**
 * Why a step's `when:` branch/tag/event condition does not hold for a run, or undefined when it
 * does (or the step has none). `when.status` depends on other steps and is the run engine's.
 */
export function stepConditionSkip(when: StepCondition | undefined, run: RunContext): string | undefined {
  if (!when) return undefined;
  if (when.branch && !when.branch.some((pattern) => run.branch && globMatch(pattern, run.branch)))
    return run.branch ? `when.branch does not match branch "${run.branch}"` : 'when.branch is set and the run is not on a branch';
  if (when.tag && !when.tag.some((pattern) => run.tag && globMatch(pattern, run.tag)))
    return run.tag ? `when.tag does not match tag "${run.tag}"` : 'when.tag is set and the run is not for a tag';
  if (when.event && !when.event.some((event) => run.events.includes(event)))
    return `when.event does not include ${run.events.map((e) => `"${e}"`).join(' or ')}`;
  return undefined;
}
