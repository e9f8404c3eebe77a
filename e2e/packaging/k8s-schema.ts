import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ts from 'typescript';

/** A Kubernetes object as rendered (parsed YAML). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export const describeObject = (o: K8sObject): string =>
  `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

const modelsRoot = dirname(require.resolve('kubernetes-models/package.json'));

/** The kubernetes-models module of an apiVersion and kind (`apps/v1` + `Deployment`), if it has one. */
export function modelModule(apiVersion: string, kind: string): string | undefined {
  // The core group is `v1`; the others are `<group>/<version>`, as directories of the package.
  if (!/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion) || !/^[A-Z]\w*$/.test(kind))
    return undefined;
  return existsSync(join(modelsRoot, apiVersion, `${kind}.js`))
    ? `kubernetes-models/${apiVersion}/${kind}`
    : undefined;
}

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/**
 * Validates an object against the official OpenAPI schema of its kind (kubernetes-models ships
 * the Kubernetes 1.27 schemas compiled to validators). Returns the problems, empty when valid.
 */
export function schemaProblems(o: K8sObject): string[] {
  const module = modelModule(o.apiVersion, o.kind);
  if (!module) return [`${describeObject(o)}: no official schema for ${o.apiVersion} ${o.kind}`];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Model = (require(module) as Record<string, ModelClass>)[o.kind];
  try {
    new Model(o).validate();
    return [];
  } catch (error) {
    return [`${describeObject(o)}: ${(error as Error).message}`];
  }
}

/**
 * The OpenAPI schemas allow unknown fields (as the API server does without strict validation),
 * so a misspelt `livenessProbe` would pass. This checks every object as a TypeScript object
 * literal against the kubernetes-models interface of its kind: excess-property checks name
 * every unknown field and wrong type, nested ones included. Returns the problems.
 */
export function unknownFieldProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const lines: string[] = [];
  const owners: { object: K8sObject; line: number }[] = [];
  objects.forEach((o, i) => {
    const module = modelModule(o.apiVersion, o.kind);
    if (!module) return;
    lines.push(`import type { I${o.kind} as T${i} } from ${JSON.stringify(module)};`);
  });
  objects.forEach((o, i) => {
    if (!modelModule(o.apiVersion, o.kind)) return;
    owners.push({ object: o, line: lines.length });
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(o)};`);
  });
  const fileName = join(__dirname, '__rendered_objects__.ts');
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, onError) =>
    name === fileName ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, onError);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.file.fileName !== fileName || d.start === undefined) {
      problems.push(message);
      continue;
    }
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    const owner = owners.find((o) => o.line === line);
    const text = lines[line] ?? '';
    const near = text.slice(Math.max(0, character - 40), character + 40);
    problems.push(
      `${owner ? describeObject(owner.object) : `line ${line}`}: ${message.split('\n')[0]} (near …${near}…)`,
    );
  }
  return problems;
}
