import {
  explainDefinition,
  nextScheduleTime,
  parseDefinition,
  PipelineDefinition,
  ResourceClassTable,
  topologicalOrder,
} from '@kiln/definition';
import { InvalidInputError } from '@kiln/errors';

/**
 * The lint answer of POST /api/pipelines/validate; `explain` adds the mapped pipeline. CircleCI
 * files map `resource_class` through the operator's table, as the scheduler does when it runs them.
 */
export function lintDefinition(yaml: string, explain = false, resourceClasses: ResourceClassTable = {}) {
  const result = parseDefinition(yaml, { resourceClasses });
  if (!result.ok) return { valid: false, errors: result.errors, warnings: result.warnings };
  return {
    valid: true,
    errors: [],
    warnings: result.warnings,
    steps: describeSteps(result.definition),
    format: result.format,
    ...(explain && { explained: explainDefinition(result.definition) }),
  };
}

/** Parses an inline definition on write; a bad one is a 400 listing every problem with its line. */
export function requireValidDefinition(yaml: string): PipelineDefinition {
  const result = parseDefinition(yaml);
  if (result.ok) return result.definition;
  const first = result.errors[0]!;
  const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
  throw new InvalidInputError(
    `yaml_config is not a valid pipeline definition: line ${first.line}: ${first.message}${more}`,
    [...result.errors.map((e) => ({ field: 'yaml_config', ...e }))],
  );
}

/** An inline definition's cron: the scheduler fires it from these columns. */
export function scheduleOf(definition: PipelineDefinition | null, now = new Date()) {
  const cron = definition?.on.schedule ?? null;
  return { scheduleCron: cron, nextScheduleAt: cron ? nextScheduleTime(cron, now) : null };
}

function describeSteps(definition: PipelineDefinition) {
  return topologicalOrder(definition.steps).map((s) => ({
    name: s.name,
    image: s.image,
    commands: s.commands,
    depends_on: s.dependsOn,
    timeout_ms: s.timeoutMs ?? null,
    build: s.build ?? null,
    deploy: s.deploy,
  }));
}
