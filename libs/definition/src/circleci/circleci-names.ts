import { FieldReader } from '../reader/field.reader';
import { NAME_MAX_LENGTH, NAME_PATTERN } from '../values/names';
import { WorkflowJob } from './circleci-workflows';

/**
 * Kiln step names for the workflow jobs: `<workflow>.<job>` when more than one workflow runs
 * (each workflow is an independent group of the one pipeline), the job's name otherwise; names
 * CircleCI allows but Kiln does not (capitals, spaces) are folded, with a warning naming both.
 */
export function stepNames(entries: WorkflowJob[], reader: FieldReader): string[] {
  const grouped = new Set(entries.map((entry) => entry.workflow)).size > 1;
  const taken = new Set<string>();
  return entries.map((entry) => {
    const written = grouped ? `${entry.workflow}.${entry.name}` : entry.name;
    let name = normalise(written);
    for (let n = 2; taken.has(name); n++) name = `${normalise(written).slice(0, NAME_MAX_LENGTH - 4)}-${n}`;
    taken.add(name);
    if (name !== written) {
      reader.problems.warn(
        entry.path,
        entry.at,
        `runs as the step "${name}" ("${written}" is not a valid step name)`,
      );
    }
    return name;
  });
}

function normalise(name: string): string {
  if (NAME_PATTERN.test(name) && name.length <= NAME_MAX_LENGTH) return name;
  const folded = name
    .toLowerCase()
    .replace(/[^-a-z0-9_.]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, NAME_MAX_LENGTH)
    .replace(/[^a-z0-9]+$/, '');
  return folded || 'job';
}
