import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The six deployable apps, with the port each listens on by default. */
export const APPS = {
  gateway: 8080,
  'webhook-receiver': 8081,
  scheduler: 8082,
  'pod-executor': 8083,
  'log-archiver': 8084,
  'artifact-service': 8085,
} as const;
export type AppName = keyof typeof APPS;
export const APP_NAMES = Object.keys(APPS) as AppName[];

/** Variables the manifests may carry before an app declares them (none now: each is checked like any other). */
export const PLANNED_VARIABLES: string[] = [];

export interface EnvVariable {
  name: string;
  envClass: string;
  file: string;
  /** Declared without `?` or a default: the app refuses to start without it. */
  required: boolean;
}

export interface AppEnv {
  /** Every variable the app reads, by name. */
  variables: Map<string, EnvVariable>;
  /** Variables it cannot start without. */
  required: string[];
  /** Reads object storage settings (KILN_STORAGE_DRIVER and, for s3, its keys). */
  usesStorage: boolean;
}

// A property of an env class: optional decorators, NAME, `?`/`!`, a type, maybe a default.
const PROPERTY = /^\s*(?:@[^\n]*?\s)?([A-Z][A-Z0-9_]{2,})([!?])?\s*:\s*[^=;\n]+?(=\s*[^;\n]+)?;\s*$/gm;

/** Env classes (name → variables) declared in one source file. */
function envClasses(file: string): Map<string, EnvVariable[]> {
  const text = readFileSync(file, 'utf8');
  const classes = new Map<string, EnvVariable[]>();
  const starts = [...text.matchAll(/^(?:export\s+)?class\s+(\w+)\s*\{/gm)];
  starts.forEach((start, i) => {
    const body = text.slice(start.index, starts[i + 1]?.index ?? text.length);
    const end = body.search(/^\}/m);
    const variables = [...body.slice(0, end === -1 ? undefined : end).matchAll(PROPERTY)].map((m) => ({
      name: m[1],
      envClass: start[1],
      file,
      required: m[2] === '!' || (m[2] !== '?' && !m[3]),
    }));
    if (variables.length > 0) classes.set(start[1], variables);
  });
  return classes;
}

/** Shared env classes from libs/config. */
function sharedEnvClasses(root: string): Map<string, EnvVariable[]> {
  const dir = join(root, 'libs/config/src');
  const all = new Map<string, EnvVariable[]>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))) {
    for (const [name, vars] of envClasses(join(dir, file))) all.set(name, vars);
  }
  return all;
}

/** Env classes of the files `file` imports by relative path (e.g. a backend's own env class). */
function importedEnvClasses(file: string, text: string): Map<string, EnvVariable[]> {
  const all = new Map<string, EnvVariable[]>();
  for (const m of text.matchAll(/^import [^;]*? from '(\.{1,2}\/[^']+)';$/gm)) {
    const imported = resolve(dirname(file), `${m[1]}.ts`);
    if (existsSync(imported)) for (const [name, vars] of envClasses(imported)) all.set(name, vars);
  }
  return all;
}

/** What one app reads: the env classes its `loadConfig` passes to `loadEnv`. */
export function appEnv(root: string, app: AppName): AppEnv {
  const file = join(root, 'apps', app, 'src/config.ts');
  const text = readFileSync(file, 'utf8');
  const own = new Map([...importedEnvClasses(file, text), ...envClasses(file)]);
  const shared = sharedEnvClasses(root);
  const used =
    text
      .match(/loadEnv\(\s*\[([^\]]+)\]/)?.[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? [];
  if (used.length === 0) throw new Error(`${file}: no loadEnv([...]) call found`);
  const variables = new Map<string, EnvVariable>();
  for (const className of used) {
    const vars = own.get(className) ?? shared.get(className);
    if (!vars) throw new Error(`${file}: env class ${className} not found in the file or libs/config`);
    for (const v of vars) variables.set(v.name, v);
  }
  return {
    variables,
    required: [...variables.values()].filter((v) => v.required).map((v) => v.name),
    usesStorage: used.includes('StorageEnv'),
  };
}

/** Variables read straight from process.env outside the env classes (e.g. KILN_MIGRATIONS_DIR). */
export function directVariables(root: string): string[] {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['node_modules', 'generated', 'test', 'testing'].includes(entry.name)) walk(full);
      } else if (/\.ts$/.test(entry.name) && !/\.(spec|e2e-spec)\.ts$|spec-helper\.ts$/.test(entry.name)) {
        for (const m of readFileSync(full, 'utf8').matchAll(
          /process\.env\.((?:KILN|DATABASE|NATS)_?[A-Z0-9_]*)/g,
        ))
          found.add(m[1]);
      }
    }
  };
  for (const top of ['apps', 'libs']) if (existsSync(join(root, top))) walk(join(root, top));
  return [...found];
}

/** Every variable any deployable app (or a lib they load) reads. */
export function allVariables(root: string): Set<string> {
  const names = new Set<string>(directVariables(root));
  for (const app of APP_NAMES) for (const name of appEnv(root, app).variables.keys()) names.add(name);
  return names;
}
