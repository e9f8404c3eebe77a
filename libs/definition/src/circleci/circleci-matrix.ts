import { childPath } from '../problems/problem-collector';
import { FieldReader, valueOf } from '../reader/field.reader';
import { YamlMapping, YamlNode } from '../yaml/yaml-node';

/** At most this many jobs from one matrix; CircleCI configs rarely pass a few dozen. */
export const MAX_MATRIX_JOBS = 64;

export interface MatrixCombination {
  /** Parameter name -> value node, in the order the parameters are declared. */
  values: Array<[string, YamlNode]>;
}

/**
 * Expands a workflow job's `matrix` into its combinations (with `exclude` removed), as CircleCI
 * does before naming each job `<name>-<value>-<value>`.
 */
export function readMatrix(
  node: YamlNode,
  path: string,
  reader: FieldReader,
): { combinations: MatrixCombination[]; alias?: string } {
  const mapping = reader.mapping(node, path, 'a mapping with "parameters"');
  if (!mapping) return { combinations: [] };
  reader.keys(mapping, path, ['parameters', 'exclude', 'alias']);
  const parameters = reader.required(mapping, path, 'parameters');
  const parametersMapping =
    parameters &&
    reader.mapping(
      parameters,
      childPath(path, 'parameters'),
      'a mapping of parameter names to lists of values',
    );
  let combinations: MatrixCombination[] = [{ values: [] }];
  for (const { key, value } of parametersMapping?.entries ?? []) {
    const values = value.kind === 'sequence' ? value.items : [value];
    combinations = combinations.flatMap((c) =>
      values.map((v) => ({ values: [...c.values, [key, v] as [string, YamlNode]] })),
    );
    if (combinations.length > MAX_MATRIX_JOBS) {
      reader.problems.error(
        childPath(path, 'parameters'),
        parameters as YamlNode,
        `makes more than ${MAX_MATRIX_JOBS} jobs`,
      );
      return { combinations: [] };
    }
  }
  const exclude = valueOf(mapping, 'exclude');
  if (exclude?.kind === 'sequence') {
    const excluded = exclude.items.filter((item): item is YamlMapping => item.kind === 'mapping');
    combinations = combinations.filter((c) => !excluded.some((item) => matchesAll(item, c)));
  }
  const alias = valueOf(mapping, 'alias');
  return { combinations, alias: alias && reader.string(alias, childPath(path, 'alias')) };
}

function matchesAll(item: YamlMapping, combination: MatrixCombination): boolean {
  return item.entries.every(({ key, value }) =>
    combination.values.some(
      ([name, v]) => name === key && v.kind === 'scalar' && value.kind === 'scalar' && v.text === value.text,
    ),
  );
}

/** CircleCI's generated name for one combination: the job name, then each value, joined by "-". */
export function matrixJobName(name: string, combination: MatrixCombination): string {
  return [name, ...combination.values.map(([, v]) => (v.kind === 'scalar' ? v.text : 'value'))].join('-');
}

/** Replaces `<< matrix.x >>` in a name or a `requires` entry with the combination's values. */
export function withMatrixValues(text: string, combination: MatrixCombination): string {
  return text.replace(/<<\s*matrix\.([A-Za-z0-9_-]+)\s*>>/g, (written, key: string) => {
    const value = combination.values.find(([name]) => name === key)?.[1];
    return value?.kind === 'scalar' ? value.text : written;
  });
}

/** The combination's values as job arguments, on top of the workflow entry's own. */
export function argumentsWith(
  args: YamlMapping | undefined,
  combination: MatrixCombination,
  at: YamlNode,
): YamlMapping {
  const base: YamlMapping = args ?? { kind: 'mapping', entries: [], offset: at.offset, size: 1, height: 1 };
  const entries = combination.values.map(([key, value]) => ({
    key,
    keyNode: { kind: 'scalar' as const, text: key, plain: true, offset: value.offset, size: 1, height: 0 },
    value,
  }));
  return {
    ...base,
    entries: [
      ...base.entries.filter((e) => e.key !== 'matrix' && !combination.values.some(([k]) => k === e.key)),
      ...entries,
    ],
  };
}
