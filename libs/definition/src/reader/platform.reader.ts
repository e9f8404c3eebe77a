import { PipelineDefinition } from '../definition.model';
import { DEFINITION_LIMITS } from '../limits';
import { childPath } from '../problems/problem-collector';
import { isNullNode, YamlMapping, YamlNode } from '../yaml/yaml-node';
import { readArtifacts } from './artifact.reader';
import { FieldReader, valueOf } from './field.reader';
import { expandMatrices } from './matrix.reader';
import { StepDraft } from './step-draft';
import { readStep } from './step.reader';
import { readTriggers } from './trigger.reader';

export interface ReadDefinition {
  definition: PipelineDefinition;
  drafts: StepDraft[];
}

const PIPELINE_KEYS = ['steps', 'artifacts', 'on', 'fail_fast'] as const;

const MISPLACED_ROOT_KEYS: Record<string, string> = {
  steps: '"steps" belongs under "pipeline:"',
  artifacts: '"artifacts" belongs under "pipeline:"',
  on: '"on" belongs under "pipeline:"',
  fail_fast: '"fail_fast" belongs under "pipeline:"',
  jobs: 'a CircleCI-style file needs a top-level "version" (2 or 2.1) next to "jobs"',
  workflows: 'a CircleCI-style file needs a top-level "version" (2 or 2.1) and "jobs"',
};

/**
 * Reads a `.platform.yaml` tree. Paths in problems are relative to `pipeline:`
 * (`steps[2].depends_on`), except for keys at the top of the file.
 */
export function readPlatformDefinition(root: YamlMapping, reader: FieldReader): ReadDefinition {
  const definition: PipelineDefinition = { steps: [], artifacts: [], on: {}, failFast: false };
  reader.keys(root, '', ['pipeline'], MISPLACED_ROOT_KEYS);
  const pipelineNode = valueOf(root, 'pipeline');
  if (!pipelineNode) {
    reader.problems.error('', root, 'missing top-level key "pipeline"');
    return { definition, drafts: [] };
  }
  const pipeline = reader.mapping(pipelineNode, 'pipeline', 'a mapping with "steps"');
  if (!pipeline) return { definition, drafts: [] };
  reader.keys(pipeline, '', PIPELINE_KEYS);

  const drafts = expandMatrices(readSteps(pipeline, reader), reader);
  if (drafts.length > DEFINITION_LIMITS.maxSteps) {
    const steps = valueOf(pipeline, 'steps') as YamlNode;
    reader.problems.error('steps', steps, `expands to ${drafts.length} steps with its matrices; at most ${DEFINITION_LIMITS.maxSteps} are allowed`);
  }
  definition.steps = drafts.map((draft) => draft.step);
  const artifacts = valueOf(pipeline, 'artifacts');
  if (artifacts && !isNullNode(artifacts))
    definition.artifacts = readArtifacts(artifacts, 'artifacts', reader);
  const on = valueOf(pipeline, 'on');
  if (on) definition.on = readTriggers(on, 'on', reader);
  const failFast = valueOf(pipeline, 'fail_fast');
  if (failFast) definition.failFast = reader.boolean(failFast, 'fail_fast') ?? false;
  return { definition, drafts };
}

function readSteps(pipeline: YamlMapping, reader: FieldReader): StepDraft[] {
  const steps: YamlNode | undefined = valueOf(pipeline, 'steps');
  if (!steps) {
    reader.problems.error('steps', pipeline, 'is required and must list at least one step');
    return [];
  }
  if (steps.kind !== 'sequence' || steps.items.length === 0) {
    reader.problems.error('steps', steps, 'must list at least one step');
    return [];
  }
  const { maxSteps } = DEFINITION_LIMITS;
  if (steps.items.length > maxSteps) {
    reader.problems.error(
      'steps',
      steps.items[maxSteps],
      `has ${steps.items.length} steps; at most ${maxSteps} are allowed`,
    );
  }
  return steps.items
    .slice(0, maxSteps)
    .map((item, index) => readStep(item, childPath('steps', index), reader));
}
