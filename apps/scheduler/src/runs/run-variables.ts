import { PipelineDefinition } from '@kiln/definition';

/**
 * A manual run's variables in every step's environment, over the definition's own values (the
 * injected variables still win at dispatch). Kept in the run's definition snapshot, so a retry of
 * the run has them too.
 */
export function withRunVariables(
  definition: PipelineDefinition,
  variables: Record<string, string> | undefined,
): PipelineDefinition {
  if (!variables || Object.keys(variables).length === 0) return definition;
  return {
    ...definition,
    steps: definition.steps.map((step) => ({ ...step, environment: { ...step.environment, ...variables } })),
  };
}
