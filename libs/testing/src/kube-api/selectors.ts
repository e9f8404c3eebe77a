import { KubeObject } from './kube-object';

type Requirement = (labels: Record<string, string>) => boolean;

/** Parses a label selector (`a=b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`), all terms ANDed. */
export function parseLabelSelector(selector: string | null | undefined): (object: KubeObject) => boolean {
  const requirements = splitTerms(selector ?? '').map(parseRequirement);
  return (object) => requirements.every((matches) => matches(object.metadata.labels ?? {}));
}

/** Parses a field selector (`metadata.name=x`, `status.phase!=Running`), all terms ANDed. */
export function parseFieldSelector(selector: string | null | undefined): (object: KubeObject) => boolean {
  const terms = splitTerms(selector ?? '').map((term) => {
    const match = /^([\w.]+)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (!match) throw new SelectorError(`invalid field selector term "${term}"`);
    const [, path, op, value] = match;
    return (object: KubeObject) => {
      const actual = String(fieldAt(object, path) ?? '');
      return op === '!=' ? actual !== value : actual === value;
    };
  });
  return (object) => terms.every((matches) => matches(object));
}

export class SelectorError extends Error {}

function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim()) terms.push(current.trim());
  return terms.filter(Boolean);
}

function parseRequirement(term: string): Requirement {
  const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set) {
    const [, key, op, list] = set;
    const values = list.split(',').map((v) => v.trim());
    return op === 'in'
      ? (labels) => key in labels && values.includes(labels[key])
      : (labels) => !(key in labels) || !values.includes(labels[key]);
  }
  const equality = /^([\w./-]+)\s*(==|!=|=)\s*([\w.-]*)$/.exec(term);
  if (equality) {
    const [, key, op, value] = equality;
    return op === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  }
  const exists = /^(!?)([\w./-]+)$/.exec(term);
  if (exists) return exists[1] ? (labels) => !(exists[2] in labels) : (labels) => exists[2] in labels;
  throw new SelectorError(`invalid label selector term "${term}"`);
}

function fieldAt(object: KubeObject, path: string): unknown {
  let value: unknown = object;
  for (const part of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}
