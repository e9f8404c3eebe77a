import { childPath } from '../problems/problem-collector';
import { ENV_NAME_PATTERN, nameProblem } from '../values/names';
import { scalarType, YamlMapping, YamlNode } from '../yaml/yaml-node';
import { FieldReader, valueOf } from './field.reader';
import { StepDraft } from './step-draft';

export const MAX_MATRIX_COMBINATIONS = 64;

/** A step's `matrix:`, read: every combination to run, in key order, and where it was written. */
export interface MatrixSpec {
  combinations: Array<Record<string, string>>;
  node: YamlNode;
  path: string;
}

/**
 * `matrix: { KEY: [values…], exclude?: [{KEY: value}…], include?: [{KEY: value}…] }`: the
 * cartesian product in key order, minus combinations matching an `exclude` entry (on the keys it
 * gives), plus each `include` entry (which gives every key) not already in it.
 */
export function readMatrix(node: YamlNode, path: string, reader: FieldReader): MatrixSpec | undefined {
  const mapping = reader.mapping(node, path, 'a mapping of variable names to lists of values');
  if (!mapping) return undefined;
  const axes: Array<[string, string[]]> = [];
  for (const { key, keyNode, value } of mapping.entries) {
    if (key === 'exclude' || key === 'include') continue;
    const valuePath = childPath(path, key);
    if (!ENV_NAME_PATTERN.test(key)) {
      reader.problems.error(valuePath, keyNode, `"${key}" is not a valid variable name; use letters, digits and "_", not starting with a digit`);
      continue;
    }
    const items = reader.stringList(value, valuePath);
    if (items?.length === 0) reader.problems.error(valuePath, value, 'must list at least one value');
    if (items && items.length > 0) axes.push([key, [...new Set(items.map((item) => item.value))]]);
  }
  if (axes.length === 0) {
    reader.problems.error(path, node, 'must give at least one variable with a list of values');
    return undefined;
  }
  const keys = axes.map(([key]) => key);
  const exclude = readEntries(valueOf(mapping, 'exclude'), childPath(path, 'exclude'), keys, false, reader);
  const include = readEntries(valueOf(mapping, 'include'), childPath(path, 'include'), keys, true, reader);
  let combinations = axes.reduce<Array<Record<string, string>>>(
    (partial, [key, values]) => partial.flatMap((combo) => values.map((value) => ({ ...combo, [key]: value }))),
    [{}],
  );
  combinations = combinations.filter((combo) => !exclude.some((entry) => matches(combo, entry)));
  for (const entry of include) {
    if (!combinations.some((combo) => matches(combo, entry)))
      combinations.push(Object.fromEntries(keys.map((key) => [key, entry[key]])));
  }
  if (combinations.length > MAX_MATRIX_COMBINATIONS) {
    reader.problems.error(path, node, `has ${combinations.length} combinations; at most ${MAX_MATRIX_COMBINATIONS} are allowed`);
    return undefined;
  }
  if (combinations.length === 0) {
    reader.problems.error(path, node, '"exclude" leaves no combination to run');
    return undefined;
  }
  return { combinations, node, path };
}

const matches = (combo: Record<string, string>, entry: Record<string, string>) =>
  Object.entries(entry).every(([key, value]) => combo[key] === value);

function readEntries(
  node: YamlNode | undefined,
  path: string,
  keys: string[],
  complete: boolean,
  reader: FieldReader,
): Array<Record<string, string>> {
  if (!node) return [];
  if (node.kind !== 'sequence') {
    reader.problems.error(path, node, 'must be a list of mappings of matrix variables to values');
    return [];
  }
  const entries: Array<Record<string, string>> = [];
  node.items.forEach((item, index) => {
    const itemPath = childPath(path, index);
    const mapping = reader.mapping(item, itemPath, 'a mapping of matrix variables to values');
    if (!mapping) return;
    reader.keys(mapping, itemPath, keys);
    const entry = readEntry(mapping, itemPath, keys, reader);
    const missing = keys.filter((key) => !(key in entry));
    if (complete && missing.length > 0) reader.problems.error(itemPath, item, `must give a value for ${missing.join(', ')}`);
    else if (Object.keys(entry).length > 0) entries.push(entry);
  });
  return entries;
}

function readEntry(mapping: YamlMapping, path: string, keys: string[], reader: FieldReader): Record<string, string> {
  const entry: Record<string, string> = {};
  for (const { key, value } of mapping.entries) {
    if (!keys.includes(key)) continue;
    if (value.kind !== 'scalar' || scalarType(value) === 'null') reader.problems.error(childPath(path, key), value, 'must be a value');
    else entry[key] = value.text;
  }
  return entry;
}

/**
 * Replaces each matrix step by one step per combination (`<name>-<value>-<value>`, the values in
 * its environment and `${KEY}` in its image), and each dependency on it by all of them.
 */
export function expandMatrices(drafts: StepDraft[], reader: FieldReader): StepDraft[] {
  const expansions = new Map<string, string[]>();
  const expanded = drafts.flatMap((draft) => {
    const spec = draft.matrix;
    checkImageVariables(draft, Object.keys(spec?.combinations[0] ?? {}), reader);
    if (!spec) return [draft];
    const copies = spec.combinations.map((combo) => expand(draft, spec, combo, reader));
    expansions.set(draft.step.name, copies.map((copy) => copy.step.name));
    return copies;
  });
  if (expansions.size === 0) return expanded;
  for (const draft of expanded) {
    draft.dependencies = draft.dependencies.flatMap((d) => (expansions.get(d.name) ?? [d.name]).map((name) => ({ name, node: d.node })));
    draft.step.dependsOn = [...new Set(draft.step.dependsOn.flatMap((name) => expansions.get(name) ?? [name]))];
  }
  return expanded;
}

function expand(draft: StepDraft, spec: MatrixSpec, combo: Record<string, string>, reader: FieldReader): StepDraft {
  const name = [draft.step.name, ...Object.values(combo)].join('-');
  const problem = draft.step.name ? nameProblem(name, 'step') : undefined;
  if (problem) reader.problems.error(spec.path, spec.node, `makes a step name from the values: ${problem}`);
  const image = draft.step.image.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, key: string) => combo[key] ?? whole);
  const copy: StepDraft = {
    ...draft,
    matrix: undefined,
    step: { ...draft.step, name, image, environment: { ...draft.step.environment, ...combo }, matrix: combo },
  };
  return copy;
}

/** `${X}` left in an image would reach the registry as written. */
function checkImageVariables(draft: StepDraft, keys: string[], reader: FieldReader): void {
  const left = [...draft.step.image.matchAll(/\$\{([^}]*)\}/g)].find(([, key]) => !keys.includes(key));
  if (!left) return;
  reader.problems.error(childPath(draft.path, 'image'), draft.node, `"\${${left[1]}}" is not a matrix variable of this step`);
}
