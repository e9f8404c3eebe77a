import { boolCoreTag, floatCoreTag, intCoreTag, NOT_RESOLVED, nullCoreTag } from 'js-yaml';

/**
 * A positioned YAML tree. js-yaml's `load` returns plain values without positions, so the loader
 * builds these nodes from js-yaml's event stream instead; every error can then point at a line.
 * Aliases are resolved to the anchored node itself (shared, never copied).
 */
export type YamlNode = YamlScalar | YamlSequence | YamlMapping;

interface NodeBase {
  /** Character offset of the node in the decoded source. */
  offset: number;
  /** Number of nodes in this subtree with aliases expanded; used for the alias-expansion budget. */
  size: number;
  /** Nesting height with aliases expanded (a scalar is 0). */
  height: number;
}

export interface YamlScalar extends NodeBase {
  kind: 'scalar';
  /** Decoded text (escapes and block scalars resolved). */
  text: string;
  /** Plain scalars may be null, booleans or numbers; quoted ones and `!!str` never are. */
  plain: boolean;
}

export interface YamlSequence extends NodeBase {
  kind: 'sequence';
  items: YamlNode[];
}

export interface YamlEntry {
  key: string;
  keyNode: YamlScalar;
  value: YamlNode;
}

export interface YamlMapping extends NodeBase {
  kind: 'mapping';
  /** Explicit entries in source order, then entries merged in with `<<`. */
  entries: YamlEntry[];
}

export function isMapping(node: YamlNode | undefined): node is YamlMapping {
  return node?.kind === 'mapping';
}

export function isScalar(node: YamlNode | undefined): node is YamlScalar {
  return node?.kind === 'scalar';
}

export function entryOf(mapping: YamlMapping, key: string): YamlEntry | undefined {
  return mapping.entries.find((entry) => entry.key === key);
}

export type ScalarType = 'null' | 'boolean' | 'number' | 'string';

/** Resolves a scalar with the YAML 1.2 core schema (so `yes`/`on` stay strings, unlike YAML 1.1). */
export function scalarType(node: YamlScalar): ScalarType {
  if (!node.plain) return 'string';
  const text = node.text;
  if (nullCoreTag.resolve(text, false, '') !== NOT_RESOLVED) return 'null';
  if (boolCoreTag.resolve(text, false, '') !== NOT_RESOLVED) return 'boolean';
  if (intCoreTag.resolve(text, false, '') !== NOT_RESOLVED) return 'number';
  if (floatCoreTag.resolve(text, false, '') !== NOT_RESOLVED) return 'number';
  return 'string';
}

export function scalarBoolean(node: YamlScalar): boolean | undefined {
  if (scalarType(node) !== 'boolean') return undefined;
  return boolCoreTag.resolve(node.text, false, '') === true;
}

export function isNullNode(node: YamlNode): boolean {
  return node.kind === 'scalar' && scalarType(node) === 'null';
}
