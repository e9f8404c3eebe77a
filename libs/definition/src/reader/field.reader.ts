import { childPath, ProblemCollector } from '../problems/problem-collector';
import { didYouMean } from '../problems/did-you-mean';
import { scalarBoolean, scalarType, YamlMapping, YamlNode, YamlScalar } from '../yaml/yaml-node';

/** One string of a list, with where it came from. */
export interface StringItem {
  value: string;
  node: YamlScalar;
  path: string;
}

/** Typed accessors over the positioned tree; each reports a problem and returns undefined on a bad value. */
export class FieldReader {
  constructor(readonly problems: ProblemCollector) {}

  mapping(node: YamlNode, path: string, expected: string): YamlMapping | undefined {
    if (node.kind === 'mapping') return node;
    this.problems.error(path, node, `must be ${expected}`);
    return undefined;
  }

  /**
   * Rejects keys outside `allowed`. `unsupported` names keys that exist elsewhere (another CI
   * system, a later version) with a sentence saying so, instead of a bare "unknown key".
   */
  keys(
    mapping: YamlMapping,
    path: string,
    allowed: readonly string[],
    unsupported: Record<string, string> = {},
  ): void {
    for (const { key, keyNode } of mapping.entries) {
      if (allowed.includes(key)) continue;
      const keyPath = childPath(path, key);
      if (Object.hasOwn(unsupported, key)) {
        this.problems.error(keyPath, keyNode, unsupported[key]);
        continue;
      }
      const match = this.problems.full ? undefined : didYouMean(key, allowed);
      const hint = match ? ` (did you mean "${match}"?)` : `; allowed keys are ${allowed.join(', ')}`;
      this.problems.error(keyPath, keyNode, `unknown key "${key}"${hint}`);
    }
  }

  /** Any scalar but null is accepted as text (`cpu: 1` reads as "1"), as users expect from YAML. */
  string(node: YamlNode, path: string, options: { allowEmpty?: boolean } = {}): string | undefined {
    if (node.kind !== 'scalar' || scalarType(node) === 'null') {
      this.problems.error(path, node, node.kind === 'scalar' ? 'must not be empty' : 'must be a string');
      return undefined;
    }
    if (!options.allowEmpty && node.text.trim() === '') {
      this.problems.error(path, node, 'must not be empty');
      return undefined;
    }
    return node.text;
  }

  boolean(node: YamlNode, path: string): boolean | undefined {
    const value = node.kind === 'scalar' ? scalarBoolean(node) : undefined;
    if (value !== undefined) return value;
    const yaml11 = node.kind === 'scalar' && /^(y|yes|n|no|on|off)$/i.test(node.text);
    this.problems.error(
      path,
      node,
      yaml11 ? `must be true or false ("${node.text}" is a string in YAML 1.2)` : 'must be true or false',
    );
    return undefined;
  }

  /** A list of non-empty strings; a single string is accepted as a one-item list. */
  stringList(node: YamlNode, path: string): StringItem[] | undefined {
    if (node.kind === 'scalar' && scalarType(node) !== 'null') {
      const value = this.string(node, path);
      return value === undefined ? undefined : [{ value, node, path }];
    }
    if (node.kind !== 'sequence') {
      this.problems.error(path, node, 'must be a list of strings');
      return undefined;
    }
    const items: StringItem[] = [];
    node.items.forEach((item, index) => {
      const itemPath = childPath(path, index);
      const value = this.string(item, itemPath);
      if (value !== undefined) items.push({ value, node: item as YamlScalar, path: itemPath });
    });
    return items;
  }

  /** Reports a required key that is missing, pointing at the mapping that should hold it. */
  required(mapping: YamlMapping, path: string, key: string): YamlNode | undefined {
    const entry = mapping.entries.find((e) => e.key === key);
    if (!entry) this.problems.error(path, mapping, `missing required key "${key}"`);
    return entry?.value;
  }
}

export function valueOf(mapping: YamlMapping, key: string): YamlNode | undefined {
  return mapping.entries.find((entry) => entry.key === key)?.value;
}
