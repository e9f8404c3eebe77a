import { StepToleration, TOLERATION_EFFECTS } from '../definition.model';
import { childPath } from '../problems/problem-collector';
import { YamlNode } from '../yaml/yaml-node';
import { FieldReader, valueOf } from './field.reader';

// Kubernetes label keys ([prefix/]name) and values, as the API server validates them.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = key.slice(slash + 1);
  const valid =
    LABEL_NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && LABEL_PREFIX.test(prefix)));
  return valid
    ? undefined
    : `"${key}" is not a node label key; write an optional DNS prefix and a name of letters, digits, "-", "_" and "." (e.g. "kubernetes.io/arch")`;
}

/** `node_selector`: node labels the step's pod must run on (label: value). */
export function readNodeSelector(
  node: YamlNode,
  path: string,
  reader: FieldReader,
): Record<string, string> | undefined {
  const mapping = reader.mapping(
    node,
    path,
    'a mapping of node label to value, such as { kubernetes.io/arch: arm64 }',
  );
  if (!mapping) return undefined;
  const selector: Record<string, string> = {};
  for (const { key, keyNode, value } of mapping.entries) {
    const keyPath = childPath(path, key);
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) {
      reader.problems.error(keyPath, keyNode, keyProblem);
      continue;
    }
    const text = reader.string(value, keyPath);
    if (text === undefined) continue;
    if (!LABEL_VALUE.test(text))
      reader.problems.error(
        keyPath,
        value,
        `"${text}" is not a label value (at most 63 letters, digits, "-", "_" and ".")`,
      );
    else selector[key] = text;
  }
  return selector;
}

/** `tolerations`: taints of nodes the step's pod may run on, as Kubernetes tolerations. */
export function readTolerations(
  node: YamlNode,
  path: string,
  reader: FieldReader,
): StepToleration[] | undefined {
  if (node.kind !== 'sequence') {
    reader.problems.error(
      path,
      node,
      'must be a list of tolerations, such as [{ key: gpu, operator: Exists }]',
    );
    return undefined;
  }
  const tolerations: StepToleration[] = [];
  node.items.forEach((item, index) => {
    const toleration = readToleration(item, childPath(path, index), reader);
    if (toleration) tolerations.push(toleration);
  });
  return tolerations;
}

function readToleration(node: YamlNode, path: string, reader: FieldReader): StepToleration | undefined {
  const mapping = reader.mapping(node, path, 'a mapping with "key", "operator", "value" and "effect"');
  if (!mapping) return undefined;
  reader.keys(mapping, path, ['key', 'operator', 'value', 'effect']);
  const text = (key: string) => {
    const value = valueOf(mapping, key);
    return value ? { node: value, text: reader.string(value, childPath(path, key)) } : undefined;
  };
  const key = text('key');
  const operator = text('operator');
  const value = text('value');
  const effect = text('effect');
  const toleration: StepToleration = { key: key?.text ?? '', operator: 'Equal' };
  let valid = true;
  const fail = (at: string, where: YamlNode, message: string) => {
    reader.problems.error(childPath(path, at), where, message);
    valid = false;
  };
  if (!key) fail('key', mapping, 'missing required key "key": a step tolerates named taints only');
  else if (key.text !== undefined && labelKeyProblem(key.text))
    fail('key', key.node, `"${key.text}" is not a taint key`);
  if (operator?.text !== undefined) {
    if (operator.text === 'Exists' || operator.text === 'Equal') toleration.operator = operator.text;
    else fail('operator', operator.node, `must be Exists or Equal, not "${operator.text}"`);
  }
  if (value?.text !== undefined) {
    if (toleration.operator === 'Exists')
      fail('value', value.node, 'a toleration with operator Exists has no value');
    else if (!LABEL_VALUE.test(value.text)) fail('value', value.node, `"${value.text}" is not a taint value`);
    else toleration.value = value.text;
  }
  if (effect?.text !== undefined) {
    const known = TOLERATION_EFFECTS.find((e) => e === effect.text);
    if (known) toleration.effect = known;
    else fail('effect', effect.node, `must be one of ${TOLERATION_EFFECTS.join(', ')}, not "${effect.text}"`);
  }
  return valid && key?.text !== undefined ? toleration : undefined;
}
