import { childPath } from '../problems/problem-collector';
import { FieldReader, valueOf } from '../reader/field.reader';
import { isNullNode, YamlMapping, YamlNode } from '../yaml/yaml-node';
import { ParameterDeclaration, readDeclarations } from './circleci-parameters';
import { ResourceClassTable, resourceClassTable } from './circleci-resource-classes';

/** A reusable command, executor or job: its parameters and its body, unexpanded. */
export interface Reusable {
  name: string;
  declarations: ParameterDeclaration[];
  body: YamlMapping;
  /** Where the body is written, for problems found while reading the definition itself. */
  path: string;
  /** Set for definitions Kiln ships (orbs): problems are reported at the use, not in Kiln's text. */
  shipped?: boolean;
}

/** Everything a job may refer to by name, collected once from the top of the file (and orbs). */
export interface CircleCiDefinitions {
  commands: Map<string, Reusable>;
  executors: Map<string, Reusable>;
  jobs: Map<string, Reusable>;
  pipeline: Map<string, YamlNode>;
  /** Orb names whose elements Kiln cannot expand; the orb itself carries the one error. */
  unknownOrbs: Set<string>;
  /** `resource_class` → resources: the built-in table with the operator's on top. */
  resourceClasses: ResourceClassTable;
}

export function emptyDefinitions(resourceClasses: ResourceClassTable = {}): CircleCiDefinitions {
  return {
    commands: new Map(),
    executors: new Map(),
    jobs: new Map(),
    pipeline: new Map(),
    unknownOrbs: new Set(),
    resourceClasses: resourceClassTable(resourceClasses),
  };
}

/** Reads `commands`, `executors` or `jobs` (of the file or of an inline orb) into `into`, prefixed for orbs. */
export function readReusables(
  node: YamlNode | undefined,
  path: string,
  reader: FieldReader,
  into: Map<string, Reusable>,
  options: { prefix?: string; shipped?: boolean } = {},
): void {
  if (!node || isNullNode(node)) return;
  const mapping = reader.mapping(node, path, 'a mapping of names to definitions');
  for (const { key, value } of mapping?.entries ?? []) {
    const itemPath = childPath(path, key);
    const body = reader.mapping(value, itemPath, 'a mapping');
    if (!body) continue;
    const declarations = readDeclarations(
      valueOf(body, 'parameters'),
      childPath(itemPath, 'parameters'),
      reader,
    );
    const name = options.prefix ? `${options.prefix}/${key}` : key;
    into.set(name, { name, declarations, body, path: itemPath, shipped: options.shipped });
  }
}

/** Pipeline parameters are evaluated with their defaults: Kiln starts runs without CircleCI's API parameters. */
export function readPipelineParameters(
  node: YamlNode | undefined,
  reader: FieldReader,
): Map<string, YamlNode> {
  const values = new Map<string, YamlNode>();
  for (const declaration of readDeclarations(node, 'parameters', reader)) {
    if (declaration.default) values.set(declaration.name, declaration.default);
    else if (node?.kind === 'mapping') {
      const entry = node.entries.find((e) => e.key === declaration.name);
      reader.problems.error(
        childPath('parameters', declaration.name),
        entry?.keyNode ?? node,
        'a pipeline parameter needs a "default": Kiln starts runs with the defaults',
      );
    }
  }
  return values;
}
