const nx = require('@nx/eslint-plugin');
const tseslint = require('typescript-eslint');
const js = require('@eslint/js');
const prettier = require('eslint-config-prettier');

// Test files: specs, their helpers, the test harnesses, cross-service tests and benchmarks.
const TEST_FILES = [
  '**/*.spec.ts',
  '**/*.e2e-spec.ts',
  '**/*.spec-helper.ts',
  '**/test/**/*.ts',
  'e2e/**/*.ts',
  'bench/**/*.ts',
  'libs/testing/**/*.ts',
];

// Only tests may depend on the test harnesses (`type:test`, i.e. @kiln/testing): production
// code that starts processes uses @kiln/launcher.
const boundaries = (testTag) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', ...testTag] },
      { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', ...testTag] },
      { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:lib', 'type:test'] },
      { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
      { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:test'] },
    ],
  },
];

module.exports = tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'libs/db/src/generated/**', 'tmp/**', '.nx/**', 'apps/web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': boundaries([]),
      // Files outside Nx projects (scripts/) are not checked by the rule above.
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@kiln/testing', message: 'Test harnesses are for tests only; use @kiln/launcher.' }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: TEST_FILES,
    rules: { '@nx/enforce-module-boundaries': boundaries(['type:test']), 'no-restricted-imports': 'off' },
  },
  {
    // The gateway loads @nestjs/swagger at the first request for its API docs, not at start: its
    // decorators come from common/api-docs.ts (types may still be imported; bench/README.md, round seven).
    files: ['apps/gateway/src/**/*.ts'],
    ignores: TEST_FILES,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@nestjs/swagger',
              message: 'Loaded at the first API docs request: take the decorators from common/api-docs.ts.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // Entry points of CLIs, scripts and benchmarks print to the terminal on purpose.
    files: ['apps/cli/**/*.ts', 'scripts/**/*.ts', 'e2e/**/*.ts', 'bench/**/*.ts', '**/*.spec.ts', '**/*.e2e-spec.ts', 'libs/testing/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
