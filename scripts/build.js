#!/usr/bin/env node
// Compiles TypeScript sources to CommonJS under dist/ with SWC (decorator metadata
// included, which NestJS needs). `@kiln/*` imports are rewritten to relative paths
// so the output runs with plain `node`. Type checking is `pnpm typecheck` (tsc).
// Usage: node scripts/build.js [dir ...]   (default: apps libs scripts bench e2e)
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '..');
const outRoot = path.join(root, 'dist');
const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));

const options = {
  sourceMaps: true,
  module: { type: 'commonjs' },
  jsc: {
    target: 'es2022',
    baseUrl: root,
    paths: compilerOptions.paths,
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    keepClassNames: true,
  },
};

function* sources(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') yield* sources(full);
    } else if (/\.ts$/.test(entry.name) && !/\.(spec|e2e-spec|d)\.ts$/.test(entry.name)) {
      yield full;
    }
  }
}

async function main() {
  const dirs = process.argv.slice(2);
  const roots = (dirs.length ? dirs : ['apps', 'libs', 'scripts', 'bench', 'e2e'])
    .map((d) => path.resolve(root, d))
    .filter((d) => fs.existsSync(d));
  const files = roots.flatMap((d) => [...sources(d)]);
  await Promise.all(
    files.map(async (file) => {
      const out = path.join(outRoot, path.relative(root, file)).replace(/\.ts$/, '.js');
      const { code, map } = await swc.transformFile(file, { ...options, filename: file });
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, `${code}\n//# sourceMappingURL=${path.basename(out)}.map\n`);
      if (map) fs.writeFileSync(`${out}.map`, map);
    }),
  );
  process.stdout.write(`compiled ${files.length} files to dist/\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
