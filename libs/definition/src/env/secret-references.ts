import { PipelineDefinition } from '../definition.model';
import { secretNamesIn } from './expressions';

/**
 * Unique secret names the definition needs, in order of first use. Only `environment` values (of
 * steps and of their services) may use them.
 */
export function findSecretReferences(definition: PipelineDefinition): string[] {
  const names = new Set<string>();
  for (const step of definition.steps) {
    const environments = [step.environment, ...(step.services ?? []).map((service) => service.environment)];
    for (const value of environments.flatMap((environment) => Object.values(environment))) {
      for (const name of secretNamesIn(value)) names.add(name);
    }
  }
  return [...names];
}
