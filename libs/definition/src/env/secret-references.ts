import { PipelineDefinition } from '../definition.model';
import { secretNamesIn } from './expressions';

/** Unique secret names the definition needs, in order of first use. Only `environment` values may use them. */
export function findSecretReferences(definition: PipelineDefinition): string[] {
  const names = new Set<string>();
  for (const step of definition.steps) {
    for (const value of Object.values(step.environment)) {
      for (const name of secretNamesIn(value)) names.add(name);
    }
  }
  return [...names];
}
