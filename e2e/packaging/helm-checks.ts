import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/* Checks of the chart's template text, cheaper and more precise than a render for these:
   template actions are tokenised and checked for balance, for includes that resolve and for
   .Values paths that exist in values.yaml, and the kinds it declares are collected. */

export interface TemplateFile {
  path: string;
  text: string;
}

export function templateFiles(chartDir: string): TemplateFile[] {
  const out: TemplateFile[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push({ path: relative(chartDir, full), text: readFileSync(full, 'utf8') });
    }
  };
  walk(join(chartDir, 'templates'));
  return out;
}

/** The actions of a template (`{{ … }}` without delimiters, trim markers or comments). */
export function actions(text: string): { body: string; line: number }[] {
  const found: { body: string; line: number }[] = [];
  const re = /\{\{-?\s*([\s\S]*?)\s*-?\}\}/g;
  for (const m of text.matchAll(re)) {
    if (/^\/\*[\s\S]*\*\/$/.test(m[1])) continue;
    found.push({ body: m[1], line: text.slice(0, m.index).split('\n').length });
  }
  return found;
}

/** Unbalanced if/range/with/define blocks and stray else/end, per file. */
export function blockProblems(file: TemplateFile): string[] {
  const stack: { word: string; line: number }[] = [];
  const problems: string[] = [];
  for (const { body, line } of actions(file.text)) {
    const word = body.match(/^(if|range|with|define|block|else|end)\b/)?.[1];
    if (!word) continue;
    if (word === 'else') {
      if (!['if', 'range', 'with'].includes(stack.at(-1)?.word ?? ''))
        problems.push(`${file.path}:${line}: else outside if/range/with`);
    } else if (word === 'end') {
      if (!stack.pop()) problems.push(`${file.path}:${line}: end without a block`);
    } else {
      stack.push({ word, line });
    }
  }
  for (const open of stack) problems.push(`${file.path}:${open.line}: ${open.word} is never closed`);
  const opens = (file.text.match(/\{\{/g) ?? []).length;
  const closes = (file.text.match(/\}\}/g) ?? []).length;
  if (opens !== closes) problems.push(`${file.path}: ${opens} "{{" but ${closes} "}}"`);
  return problems;
}

export function definedTemplates(files: TemplateFile[]): Set<string> {
  return new Set(
    files.flatMap((f) => actions(f.text).flatMap(({ body }) => body.match(/^define\s+"([^"]+)"/)?.[1] ?? [])),
  );
}

/** `include "x"` / `template "x"` naming no `define "x"`. */
export function includeProblems(files: TemplateFile[]): string[] {
  const defined = definedTemplates(files);
  return files.flatMap((f) =>
    actions(f.text).flatMap(({ body, line }) =>
      [...body.matchAll(/\b(?:include|template)\s+"([^"]+)"/g)]
        .filter((m) => !defined.has(m[1]))
        .map((m) => `${f.path}:${line}: ${m[1]} is not defined`),
    ),
  );
}

/** `.Values.a.b` paths (from `.`, `$` or `$root`) that values.yaml does not define. */
export function valuesPathProblems(files: TemplateFile[], values: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const f of files) {
    for (const { body, line } of actions(f.text)) {
      for (const m of body.matchAll(/(?:^|[\s($])(?:\$root|\$)?\.Values((?:\.[A-Za-z_][\w]*)+)/g)) {
        const path = m[1].slice(1).split('.');
        let node: unknown = values;
        for (const key of path) {
          if (node === null || typeof node !== 'object' || !(key in (node as object))) {
            problems.push(`${f.path}:${line}: .Values.${path.join('.')} is not in values.yaml`);
            break;
          }
          node = (node as Record<string, unknown>)[key];
        }
      }
    }
  }
  return problems;
}

/** The (apiVersion, kind) pairs a template file declares at the top level of its documents. */
export function declaredKinds(file: TemplateFile): { apiVersion: string; kind: string }[] {
  const pairs: { apiVersion: string; kind: string }[] = [];
  let apiVersion: string | undefined;
  for (const line of file.text.split('\n')) {
    if (/^---/.test(line)) apiVersion = undefined;
    const a = line.match(/^apiVersion:\s*(\S+)\s*$/);
    if (a) apiVersion = a[1];
    const k = line.match(/^kind:\s*(\S+)\s*$/);
    if (k) pairs.push({ apiVersion: apiVersion ?? '(none)', kind: k[1] });
  }
  return pairs;
}

/** Keys a template writes literally at one indentation under `data:`/`stringData:` (ConfigMaps). */
export function literalDataKeys(file: TemplateFile): string[] {
  return [...file.text.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
}
