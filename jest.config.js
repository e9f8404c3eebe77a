// One Jest config for the whole workspace; `nx test <project>` and `pnpm test`
// select files by path. SWC compiles TypeScript with decorator metadata.
const { realpathSync } = require('node:fs');
const { join } = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = {
  ...Object.fromEntries(
    Object.entries(compilerOptions.paths).map(([name, [target]]) => [
      `^${name.replace('/', '\\/')}$`,
      `<rootDir>/${target}`,
    ]),
  ),
  // Jest resolves packages with the `require` condition, and @octokit/webhooks-methods (used by
  // @octokit/webhooks, which @kiln/forge loads) only exports an `import` entry; Node itself loads
  // it through require(esm). Jest is pointed at the real file, which the transform compiles.
  '^@octokit/webhooks-methods$': join(
    realpathSync(join(__dirname, 'node_modules/@octokit/webhooks')),
    '../webhooks-methods/dist-node/index.js',
  ),
};

const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
      // Jest loads globalSetup without moduleNameMapper: the harnesses it starts import other
      // libs (@kiln/launcher), so SWC rewrites the aliases to relative paths as the build does.
      baseUrl: __dirname,
      paths: compilerOptions.paths,
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleNameMapper,
  // ESM-only packages (e.g. @octokit/*) are compiled to CommonJS for Jest.
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(\\.pnpm/[^/]+/node_modules/)?(@octokit|universal-user-agent|before-after-hook|@kubernetes|openid-client|oauth4webapi|jose))'],
  setupFiles: ['reflect-metadata'],
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
  testTimeout: 60000,
};
