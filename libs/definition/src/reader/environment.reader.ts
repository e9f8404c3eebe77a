import { expressionProblems } from '../env/expressions';
import { INJECTED_VARIABLES } from '../env/injected-variables';
import { childPath } from '../problems/problem-collector';
import { ENV_NAME_PATTERN } from '../values/names';
import { scalarType, YamlNode } from '../yaml/yaml-node';
import { FieldReader } from './field.reader';

/**
 * Reads an `environment` mapping of NAME -> scalar; numbers and booleans are kept as written. A
 * step's (`of` 'step') gets a warning for a variable Kiln sets itself; a service gets only its own.
 */
export function readEnvironment(
  node: YamlNode,
  path: string,
  reader: FieldReader,
  of: 'step' | 'service' = 'step',
): Record<string, string> {
  const mapping = reader.mapping(node, path, 'a mapping of variable names to values');
  const entries: Array<[string, string]> = [];
  for (const { key, keyNode, value } of mapping?.entries ?? []) {
    const valuePath = childPath(path, key);
    if (!ENV_NAME_PATTERN.test(key)) {
      reader.problems.error(
        valuePath,
        keyNode,
        `"${key}" is not a valid variable name; use letters, digits and "_", not starting with a digit`,
      );
      continue;
    }
    if (value.kind !== 'scalar' || scalarType(value) === 'null') {
      reader.problems.error(
        valuePath,
        value,
        'must be a string, number or boolean (write "" for an empty value)',
      );
      continue;
    }
    for (const problem of expressionProblems(value.text)) reader.problems.error(valuePath, value, problem);
    const injected = (INJECTED_VARIABLES as readonly string[]).includes(key);
    if (of === 'step' && injected && !(key === 'CI' && value.text === 'true')) {
      reader.problems.warn(
        valuePath,
        keyNode,
        `"${key}" is set by Kiln in every step; this value is ignored`,
      );
    }
    entries.push([key, value.text]);
  }
  return Object.fromEntries(entries);
}
