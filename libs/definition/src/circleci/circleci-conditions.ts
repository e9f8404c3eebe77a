import { childPath } from '../problems/problem-collector';
import { FieldReader } from '../reader/field.reader';
import { scalarBoolean, scalarType, YamlNode } from '../yaml/yaml-node';
import { containsRunTimeValue } from './circleci-parameters';

const OPERATORS = ['and', 'or', 'not', 'equal', 'matches'];

/**
 * Evaluates a CircleCI logic statement whose parameters are already substituted. Statements on
 * values only known when a run starts (the branch, the commit) are refused: Kiln decides
 * `when`/`unless` at import. Returns undefined after reporting a problem.
 */
export function evaluateCondition(node: YamlNode, path: string, reader: FieldReader): boolean | undefined {
  if (node.kind === 'sequence') {
    reader.problems.error(path, node, 'must be a value or one of and, or, not, equal, matches');
    return undefined;
  }
  if (node.kind === 'scalar') {
    if (!runTimeFree(node, path, reader)) return undefined;
    return truthy(node);
  }
  if (node.entries.length !== 1) {
    reader.problems.error(path, node, `must have exactly one of ${OPERATORS.join(', ')}`);
    return undefined;
  }
  const { key, keyNode, value } = node.entries[0];
  const inner = childPath(path, key);
  switch (key) {
    case 'not': {
      const result = evaluateCondition(value, inner, reader);
      return result === undefined ? undefined : !result;
    }
    case 'and':
    case 'or': {
      if (value.kind !== 'sequence') return listProblem(value, inner, reader);
      const results = value.items.map((item, i) => evaluateCondition(item, childPath(inner, i), reader));
      if (results.includes(undefined)) return undefined;
      return key === 'and' ? results.every(Boolean) : results.some(Boolean);
    }
    case 'equal': {
      if (value.kind !== 'sequence') return listProblem(value, inner, reader);
      if (!value.items.every((item, i) => runTimeFree(item, childPath(inner, i), reader))) return undefined;
      const texts = value.items.map((item) => (item.kind === 'scalar' ? item.text : JSON.stringify(item)));
      return texts.every((text) => text === texts[0]);
    }
    case 'matches':
      return matches(value, inner, reader);
  }
  reader.problems.error(inner, keyNode, `unknown condition "${key}"; use ${OPERATORS.join(', ')}`);
  return undefined;
}

function matches(node: YamlNode, path: string, reader: FieldReader): boolean | undefined {
  const mapping = reader.mapping(node, path, 'a mapping with "pattern" and "value"');
  if (!mapping) return undefined;
  reader.keys(mapping, path, ['pattern', 'value']);
  const pattern = reader.required(mapping, path, 'pattern');
  const value = reader.required(mapping, path, 'value');
  if (!pattern || !value || !runTimeFree(value, childPath(path, 'value'), reader)) return undefined;
  const source = reader.string(pattern, childPath(path, 'pattern'));
  const text = reader.string(value, childPath(path, 'value'), { allowEmpty: true });
  if (source === undefined || text === undefined) return undefined;
  try {
    return new RegExp(`^(?:${source.replace(/^\/(.*)\/$/, '$1')})$`).test(text);
  } catch (error) {
    reader.problems.error(
      childPath(path, 'pattern'),
      pattern,
      `is not a regular expression: ${(error as Error).message}`,
    );
    return undefined;
  }
}

function runTimeFree(node: YamlNode, path: string, reader: FieldReader): boolean {
  if (node.kind !== 'scalar' || !containsRunTimeValue(node.text)) return true;
  reader.problems.error(
    path,
    node,
    'a condition on the branch, tag or commit has no Kiln equivalent at import (conditions are decided when the file is read); use branch filters instead',
  );
  return false;
}

function listProblem(node: YamlNode, path: string, reader: FieldReader): undefined {
  reader.problems.error(path, node, 'must be a list');
  return undefined;
}

/** CircleCI's truthiness: false, null, 0, NaN and "" are false; anything else is true. */
function truthy(node: YamlNode): boolean {
  if (node.kind !== 'scalar') return true;
  const type = scalarType(node);
  if (type === 'null') return false;
  if (type === 'boolean') return scalarBoolean(node) === true;
  if (type === 'number') return Number(node.text) !== 0 && !Number.isNaN(Number(node.text));
  return node.text !== '';
}
