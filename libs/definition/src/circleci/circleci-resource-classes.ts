import { StepResources } from '../definition.model';
import { cpuProblem, memoryProblem } from '../values/quantity';

/** CircleCI `resource_class` names → the CPU and memory a step of that class requests. */
export type ResourceClassTable = Record<string, StepResources>;

/**
 * CircleCI's Docker resource classes as CPU and memory requests. Operators merge their own table
 * over it (KILN_CIRCLECI_RESOURCE_CLASSES); unknown classes (ARM, GPU, self-hosted runners) keep
 * the executor's defaults, with a warning.
 */
export const RESOURCE_CLASSES: ResourceClassTable = {
  small: { cpu: '1', memory: '2Gi' },
  medium: { cpu: '2', memory: '4Gi' },
  'medium+': { cpu: '3', memory: '6Gi' },
  large: { cpu: '4', memory: '8Gi' },
  xlarge: { cpu: '8', memory: '16Gi' },
  '2xlarge': { cpu: '16', memory: '32Gi' },
  '2xlarge+': { cpu: '20', memory: '40Gi' },
};

/** The built-in table with an operator's classes on top (a class named in both is the operator's). */
export function resourceClassTable(overrides: ResourceClassTable = {}): ResourceClassTable {
  return { ...RESOURCE_CLASSES, ...overrides };
}

/**
 * Why `value` is not a resource class table (a JSON object of class → { cpu, memory }, both
 * Kubernetes quantities), or undefined when it is one.
 */
export function resourceClassTableProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'must be a JSON object of resource class → { "cpu": "2", "memory": "4Gi" }';
  for (const [name, resources] of Object.entries(value)) {
    if (!isObject(resources)) return `class "${name}" must be an object with "cpu" and "memory"`;
    const unknown = Object.keys(resources).find((key) => key !== 'cpu' && key !== 'memory');
    if (unknown) return `class "${name}" has an unknown key "${unknown}"; use "cpu" and "memory"`;
    const { cpu, memory } = resources;
    if (typeof cpu !== 'string' || typeof memory !== 'string')
      return `class "${name}" needs "cpu" and "memory" as strings, like "2" and "4Gi"`;
    const problem = cpuProblem(cpu) ?? memoryProblem(memory);
    if (problem) return `class "${name}": ${problem}`;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
