import { suggestion } from '../problems/did-you-mean';
import { childPath } from '../problems/problem-collector';
import { FieldReader, valueOf } from '../reader/field.reader';
import { isNullNode, scalarType, YamlMapping, YamlNode, YamlScalar } from '../yaml/yaml-node';

/** A declared parameter of a job, command or executor, or a pipeline parameter. */
export interface ParameterDeclaration {
  name: string;
  type: string;
  default?: YamlNode;
  enum?: string[];
}

/** What `<< parameters.x >>` and `<< pipeline.parameters.x >>` resolve to while one body is expanded. */
export interface ParameterScope {
  parameters: Map<string, YamlNode>;
  pipeline: Map<string, YamlNode>;
}

const TYPES = ['string', 'boolean', 'integer', 'enum', 'env_var_name', 'steps', 'executor'];

/**
 * CircleCI's pipeline values that Kiln knows at run time, as the injected variables a command
 * reads; anywhere else (an image, a cache key) they are an error.
 */
const PIPELINE_VALUES: Record<string, string> = {
  'pipeline.git.branch': '${COMMIT_BRANCH}',
  'pipeline.git.revision': '${COMMIT_SHA}',
  'pipeline.git.tag': '${COMMIT_REF#refs/tags/}',
  'pipeline.number': '${PIPELINE_ID}',
  'pipeline.id': '${PIPELINE_ID}',
  'pipeline.project.git_url': '${PLATFORM_PROJECT_NAME}',
};

const REFERENCE = /<<\s*([^<>]*?)\s*>>/g;

export function readDeclarations(
  node: YamlNode | undefined,
  path: string,
  reader: FieldReader,
): ParameterDeclaration[] {
  if (!node || isNullNode(node)) return [];
  const mapping = reader.mapping(node, path, 'a mapping of parameter names to declarations');
  if (!mapping) return [];
  return mapping.entries.flatMap(({ key, value }) => {
    const itemPath = childPath(path, key);
    const declaration = reader.mapping(value, itemPath, 'a mapping with "type"');
    if (!declaration) return [];
    reader.keys(declaration, itemPath, ['type', 'default', 'description', 'enum']);
    const typeNode = reader.required(declaration, itemPath, 'type');
    const type = typeNode ? (reader.string(typeNode, childPath(itemPath, 'type')) ?? '') : '';
    if (typeNode && type && !TYPES.includes(type)) {
      reader.problems.error(
        childPath(itemPath, 'type'),
        typeNode,
        `unknown parameter type "${type}"${suggestion(type, TYPES)}`,
      );
    }
    const enumNode = valueOf(declaration, 'enum');
    const values = enumNode && reader.stringList(enumNode, childPath(itemPath, 'enum'));
    return [{ name: key, type, default: valueOf(declaration, 'default'), enum: values?.map((v) => v.value) }];
  });
}

/**
 * Binds the arguments of one invocation to the declarations: defaults fill the gaps, unknown and
 * missing parameters are errors at the invocation. `reserved` are keys of the invocation that are
 * not parameters (`requires`, `name`, ...).
 */
export function bindParameters(
  declarations: ParameterDeclaration[],
  args: YamlMapping | undefined,
  at: YamlNode,
  path: string,
  reader: FieldReader,
  reserved: readonly string[] = [],
): Map<string, YamlNode> {
  const bound = new Map<string, YamlNode>();
  const names = declarations.map((d) => d.name);
  for (const { key, keyNode, value } of args?.entries ?? []) {
    if (reserved.includes(key)) continue;
    if (!names.includes(key)) {
      reader.problems.error(
        childPath(path, key),
        keyNode,
        `unknown parameter "${key}"${suggestion(key, names)}`,
      );
    } else bound.set(key, value);
  }
  for (const declaration of declarations) {
    const value = bound.get(declaration.name) ?? declaration.default;
    if (!value) {
      reader.problems.error(path, at, `missing parameter "${declaration.name}", which has no default`);
      continue;
    }
    bound.set(declaration.name, value);
    checkValue(declaration, value, childPath(path, declaration.name), reader);
  }
  return bound;
}

function checkValue(
  declaration: ParameterDeclaration,
  value: YamlNode,
  path: string,
  reader: FieldReader,
): void {
  if (value.kind !== 'scalar' || value.text.includes('<<')) return;
  const { type } = declaration;
  if (type === 'boolean' && scalarType(value) !== 'boolean') {
    reader.problems.error(path, value, `parameter "${declaration.name}" must be true or false`);
  } else if (type === 'integer' && !/^-?[0-9]+$/.test(value.text)) {
    reader.problems.error(path, value, `parameter "${declaration.name}" must be an integer`);
  } else if (type === 'enum' && declaration.enum && !declaration.enum.includes(value.text)) {
    reader.problems.error(
      path,
      value,
      `parameter "${declaration.name}" must be one of ${declaration.enum.join(', ')}`,
    );
  }
}

/**
 * Replaces `<< parameters.x >>`, `<< pipeline.parameters.x >>` and the pipeline values in a
 * subtree. A scalar that is exactly one reference to a list or mapping (a `steps` or `executor`
 * parameter) becomes that node; elsewhere values are spliced in as text. New scalars keep the
 * position of the text they replace, so later problems point into the file.
 */
export function substitute(
  node: YamlNode,
  scope: ParameterScope,
  path: string,
  reader: FieldReader,
): YamlNode {
  if (node.kind === 'sequence') {
    return {
      ...node,
      items: node.items.map((item, i) => substitute(item, scope, childPath(path, i), reader)),
    };
  }
  if (node.kind === 'mapping') {
    const entries = node.entries.map((entry) => ({
      ...entry,
      value: substitute(entry.value, scope, childPath(path, entry.key), reader),
    }));
    return { ...node, entries };
  }
  if (!node.text.includes('<<')) return node;
  const whole = /^\s*<<\s*([^<>]*?)\s*>>\s*$/.exec(node.text);
  if (whole) {
    const value = resolve(whole[1], scope);
    if (value && typeof value !== 'string')
      return value.kind === 'scalar' ? { ...value, offset: node.offset } : value;
  }
  const text = sections(node.text, scope).replace(REFERENCE, (written, name: string) => {
    const value = resolve(name, scope);
    if (typeof value === 'string') return value;
    if (value?.kind === 'scalar') return value.text;
    const problem = value
      ? 'is a list or mapping and cannot be part of a text'
      : unknownReference(name, scope);
    reader.problems.error(path, node, `"${written}" ${problem}`);
    // Reported once here; the rest of the text is still read, without the reference.
    return '';
  });
  return text === node.text ? node : scalarLike(node, text);
}

/** `<<# parameters.x >>text<</ parameters.x >>` keeps the text when x is true; `<<^ ... >>` when false. */
function sections(text: string, scope: ParameterScope): string {
  return text.replace(
    /<<([#^])\s*([^<>]*?)\s*>>([\s\S]*?)<<\/\s*\2\s*>>/g,
    (written, kind: string, name: string, body: string) => {
      const value = resolve(name, scope);
      if (!value) return written;
      const on =
        typeof value === 'string' || value.kind !== 'scalar' || !['false', '', '0'].includes(value.text);
      return on === (kind === '#') ? body : '';
    },
  );
}

function resolve(name: string, scope: ParameterScope): YamlNode | string | undefined {
  if (name.startsWith('parameters.')) return scope.parameters.get(name.slice('parameters.'.length));
  if (name.startsWith('pipeline.parameters.'))
    return scope.pipeline.get(name.slice('pipeline.parameters.'.length));
  return PIPELINE_VALUES[name];
}

function unknownReference(name: string, scope: ParameterScope): string {
  if (name.startsWith('parameters.')) {
    const key = name.slice('parameters.'.length);
    return `names no declared parameter "${key}"${suggestion(key, scope.parameters.keys())}`;
  }
  if (name.startsWith('pipeline.parameters.')) {
    const key = name.slice('pipeline.parameters.'.length);
    return `names no pipeline parameter "${key}"${suggestion(key, scope.pipeline.keys())}`;
  }
  return `is a CircleCI value that has no Kiln equivalent; Kiln knows ${Object.keys(PIPELINE_VALUES).join(', ')}`;
}

/** A scalar with new text; plain stays plain so `true` from a boolean parameter still reads as one. */
function scalarLike(node: YamlScalar, text: string): YamlScalar {
  return { ...node, text };
}

/** Whether a substituted text holds a pipeline value that is only known when a run starts. */
export function containsRunTimeValue(text: string): boolean {
  return Object.values(PIPELINE_VALUES).some((value) => text.includes(value));
}
