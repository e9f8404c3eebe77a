import { PipelineDefinition, StepDefinition } from '../definition.model';
import { formatDuration } from '../values/duration';

/**
 * A definition written back in `.platform.yaml` form (what `kiln validate --explain` and the
 * validate API's `explain` show), so a user sees what each CircleCI construct became. Keys that
 * are unset or empty are left out.
 */
export function explainDefinition(definition: PipelineDefinition): { pipeline: Record<string, unknown> } {
  return {
    pipeline: compact({
      steps: definition.steps.map(explainStep),
      artifacts: definition.artifacts.map((a) =>
        compact({ name: a.name, path: a.path, expires: a.expiresMs && formatDuration(a.expiresMs), report: a.report }),
      ),
      on: definition.on,
      fail_fast: definition.failFast || undefined,
    }),
  };
}

function explainStep(step: StepDefinition): Record<string, unknown> {
  return compact({
    name: step.name,
    image: step.image,
    commands: step.commands,
    environment: step.environment,
    depends_on: step.dependsOn,
    timeout: step.timeoutMs && formatDuration(step.timeoutMs),
    no_output_timeout: step.noOutputTimeoutMs && formatDuration(step.noOutputTimeoutMs),
    resources: step.resources,
    user: step.user,
    build: step.build,
    deploy: step.deploy || undefined,
    approval: step.approval,
    when: step.when,
    retry: step.retry,
    cache: step.cache?.map((c) => compact({ key: c.key, restore_keys: c.restoreKeys, paths: c.paths })),
    services: step.services?.map((s) => compact({ ...s, waitFor: undefined, wait_for: s.waitFor })),
    matrix: step.matrix,
  });
}

function compact(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(object).filter(([, value]) => {
      if (value === undefined || value === '' || value === 0) return false;
      if (Array.isArray(value)) return value.length > 0;
      return !(typeof value === 'object' && value !== null && Object.keys(value).length === 0);
    }),
  );
}
