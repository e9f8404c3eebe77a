#!/usr/bin/env node
// Copies what each app loads at run time into OUT/<app>/: its compiled files under dist/ (with
// their source maps) and only the node_modules files its code can require, as @vercel/nft traces
// them from dist/apps/<app>/src/main.js, plus the files it reads by path (READ_BY_PATH). pnpm's
// symlinks stay symlinks. The Dockerfile runs it after `node scripts/build.js`, so every app
// image carries its own files only.
// Usage: node scripts/app-files.js OUT app [app ...]
const fs = require('node:fs');
const path = require('node:path');
const { nodeFileTrace } = require('@vercel/nft');

const root = path.resolve(__dirname, '..');

// Read by every app: the root package's version (the executor reports it) and the migrations
// (`migrate()` in libs/db reads prisma/migrations/*/migration.sql).
const READ_BY_PATH = ['package.json', 'prisma/migrations'];

// Packages whose files are read by path at run time, which a trace of require() calls cannot
// see: copied whole wherever the trace found them.
const WHOLE_PACKAGES = {
  // @nestjs/swagger serves the UI's static files from the package's directory (/api/docs).
  gateway: ['swagger-ui-dist'],
};

function copy(relative, outDir) {
  const from = path.join(root, relative);
  const to = path.join(outDir, relative);
  const stat = fs.lstatSync(from);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  if (stat.isSymbolicLink()) {
    if (!fs.lstatSync(to, { throwIfNoEntry: false })) fs.symlinkSync(fs.readlinkSync(from), to);
  } else if (stat.isDirectory()) {
    fs.cpSync(fs.realpathSync(from), to, { recursive: true });
  } else {
    fs.copyFileSync(from, to);
  }
}

// The files reachable from `entry` through the trace's reasons (each file names its parents).
function closure(entry, reasons) {
  const children = new Map();
  for (const [file, { parents }] of reasons) {
    for (const parent of parents) {
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(file);
    }
  }
  const seen = new Set();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...(children.get(file) ?? []));
  }
  return [...seen];
}

async function main() {
  const [out, ...apps] = process.argv.slice(2);
  if (!out || apps.length === 0) throw new Error('usage: node scripts/app-files.js OUT app [app ...]');
  const entries = apps.map((app) => `dist/apps/${app}/src/main.js`);
  for (const entry of entries) {
    if (!fs.existsSync(path.join(root, entry)))
      throw new Error(`${entry} is missing: run node scripts/build.js first`);
  }
  // One trace for all apps (they share most files), split per app afterwards.
  // module-sync: Node 20.19+ resolves it for require() (e.g. async-function's require.mjs).
  const { reasons } = await nodeFileTrace(
    entries.map((entry) => path.join(root, entry)),
    { base: root, conditions: ['module-sync', 'node'] },
  );
  apps.forEach((app, i) => {
    const outDir = path.join(path.resolve(out), app);
    const files = closure(entries[i], reasons).filter((f) => !f.startsWith('..'));
    for (const file of files) {
      copy(file, outDir);
      if (file.startsWith('dist/') && fs.existsSync(path.join(root, `${file}.map`)))
        copy(`${file}.map`, outDir);
    }
    for (const file of READ_BY_PATH) copy(file, outDir);
    for (const name of WHOLE_PACKAGES[app] ?? []) {
      const manifests = files.filter((f) => f.endsWith(`/node_modules/${name}/package.json`));
      if (manifests.length === 0)
        throw new Error(`${app} does not load ${name} any more: update WHOLE_PACKAGES`);
      for (const manifest of manifests) copy(path.dirname(manifest), outDir);
    }
    process.stdout.write(`${app}: ${files.length} files\n`);
  });
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
