import { DefinitionError, parseDefinition } from '../index';
import { yaml } from '../yaml-lines.spec-helper';

const POPSICLE_CI = yaml(
  'version: 2.1',
  'references:',
  '  node: &node',
  '    docker:',
  '      - image: node:20',
  '        environment: { NODE_ENV: test }',
  'jobs:',
  '  build:',
  '    <<: *node',
  '    steps:',
  '      - checkout',
  '      - run: npm ci',
  '      - run:',
  '          name: Build',
  '          command: npm run build',
  '      - store_artifacts:',
  '          path: dist/',
  '  test:',
  '    <<: *node',
  '    environment: { NODE_ENV: ci, TOKEN: "${{ secrets.NPM_TOKEN }}" }',
  '    steps:',
  '      - checkout',
  '      - run: |',
  '          npm ci',
  '          npm test',
  '  lint:',
  '    docker: [{ image: "node:20-alpine" }]',
  '    steps: [checkout, { run: npm run lint }]',
  'workflows:',
  '  version: 2',
  '  build_and_test:',
  '    jobs:',
  '      - build',
  '      - test:',
  '          requires: [build]',
  '      - lint',
);

function errorsOf(source: string, filename?: string): DefinitionError[] {
  const result = parseDefinition(source, { filename });
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

type Expected = [string, number, number, string];
const expected = (rows: Expected[]) =>
  rows.map(([path, line, column, text]) => ({
    path,
    line,
    column,
    message: path ? `${path}: ${text}` : text,
  }));

describe('CircleCI-style files', () => {
  it('maps jobs, docker images, run steps and workflow requires onto steps', () => {
    const result = parseDefinition(POPSICLE_CI);
    expect(result).toEqual({
      ok: true,
      format: 'circleci',
      warnings: [],
      definition: {
        steps: [
          {
            name: 'build',
            image: 'node:20',
            commands: ['npm ci', 'npm run build'],
            environment: { NODE_ENV: 'test' },
            dependsOn: [],
            deploy: false,
          },
          {
            name: 'test',
            image: 'node:20',
            commands: ['npm ci\nnpm test\n'],
            environment: { NODE_ENV: 'ci', TOKEN: '${{ secrets.NPM_TOKEN }}' },
            dependsOn: ['build'],
            deploy: false,
          },
          {
            name: 'lint',
            image: 'node:20-alpine',
            commands: ['npm run lint'],
            environment: {},
            dependsOn: [],
            deploy: false,
          },
        ],
        artifacts: [{ name: 'build-dist', path: 'dist/' }],
        on: {},
        failFast: false,
      },
    });
  });

  it('runs every job in parallel when there is no workflow', () => {
    const result = parseDefinition(
      yaml(
        'version: 2',
        'jobs:',
        '  a:',
        '    docker: [{ image: x }]',
        '    steps: [{ run: make }]',
        '  b:',
        '    docker: [{ image: y }]',
        '    steps: [{ run: make b }]',
      ),
    );
    expect(result.ok && result.definition.steps.map((s) => [s.name, s.dependsOn])).toEqual([
      ['a', []],
      ['b', []],
    ]);
  });

  it('warns about jobs that the workflow never runs', () => {
    const source = yaml(
      'version: 2.1',
      'jobs:',
      '  a: { docker: [{ image: x }], steps: [{ run: make }] }',
      '  unused: { docker: [{ image: x }], steps: [{ run: make }] }',
      'workflows:',
      '  main: { jobs: [a] }',
    );
    expect(parseDefinition(source)).toMatchObject({
      ok: true,
      warnings: expected([['jobs.unused', 4, 3, 'is not in the workflow, so it never runs']]),
    });
  });

  it('reports unknown and cyclic requires with workflow paths', () => {
    const source = yaml(
      'version: 2.1',
      'jobs:',
      '  build: { docker: [{ image: x }], steps: [{ run: make }] }',
      '  test: { docker: [{ image: x }], steps: [{ run: make }] }',
      'workflows:',
      '  main:',
      '    jobs:',
      '      - build:',
      '          requires: [test]',
      '      - test:',
      '          requires: [buld, build]',
      '      - deploy',
    );
    expect(errorsOf(source)).toEqual(
      expected([
        ['workflows.main.jobs[0].build.requires', 9, 22, 'dependency cycle: build -> test -> build'],
        ['workflows.main.jobs[1].test.requires', 11, 22, 'unknown job "buld" (did you mean "build"?)'],
        ['workflows.main.jobs[2]', 12, 9, 'unknown job "deploy"'],
      ]),
    );
  });

  it('refuses what it cannot run, naming each unsupported feature', () => {
    const source = yaml(
      'version: 2.1',
      'orbs:',
      '  node: circleci/node@5',
      'jobs:',
      '  build:',
      '    docker:',
      '      - image: cimg/node:20.0',
      '        auth: { username: me, password: $PASS }',
      '      - image: postgres:16',
      '    working_directory: ~/app',
      '    steps:',
      '      - checkout',
      '      - restore_cache: { keys: [deps] }',
      '      - run: { command: make, no_output_timeout: 20m }',
      '      - runn: make',
      '      - store_test_results: { path: out }',
      '  mac:',
      '    macos: { xcode: "15.0" }',
      '    steps: [checkout]',
      'workflows:',
      '  one: { jobs: [build] }',
      '  two:',
      '    jobs:',
      '      - mac: { context: org, filters: { branches: { only: main } } }',
    );
    expect(errorsOf(source)).toEqual(
      expected([
        ['orbs', 2, 1, 'orbs are not supported'],
        ['jobs.build.docker[0].auth', 8, 9, 'private registry credentials ("auth") are not supported'],
        ['jobs.build.docker[1]', 9, 9, 'service containers (a second docker image) are not supported'],
        [
          'jobs.build.working_directory',
          10,
          5,
          '"working_directory" is not supported; every job runs in /workspace, the checked-out repository',
        ],
        ['jobs.build.steps[1].restore_cache', 13, 9, '"restore_cache" steps are not supported'],
        ['jobs.build.steps[2].run.no_output_timeout', 14, 31, '"no_output_timeout" is not supported'],
        ['jobs.build.steps[3].runn', 15, 9, 'unknown step type "runn" (did you mean "run"?)'],
        ['jobs.build.steps[4].store_test_results', 16, 9, '"store_test_results" steps are not supported'],
        ['jobs.mac.macos', 18, 5, 'macOS executors are not supported; use "docker"'],
        ['jobs.mac', 18, 5, 'missing required key "docker"'],
        ['jobs.mac.steps', 19, 12, 'has no "run" step; Kiln needs at least one command'],
        ['workflows.two', 22, 3, 'only one workflow is supported; Kiln runs one pipeline per file'],
      ]),
    );
  });

  it('refuses two artifacts with the same name', () => {
    const source = yaml(
      'version: 2',
      'jobs:',
      '  a:',
      '    docker: [{ image: x }]',
      '    steps:',
      '      - run: make',
      '      - store_artifacts: { path: out, destination: reports }',
      '      - store_artifacts: { path: logs, destination: reports }',
    );
    expect(errorsOf(source)).toEqual(
      expected([
        [
          'jobs.a.steps[2].store_artifacts.destination',
          8,
          53,
          'duplicate artifact name "reports"; give each "store_artifacts" its own "destination"',
        ],
      ]),
    );
  });

  it('checks the version and the job names', () => {
    const source = yaml(
      'version: 3',
      'jobs:',
      '  Build_App:',
      '    docker: [{ image: x }]',
      '    steps: [{ run: make }]',
    );
    expect(errorsOf(source)).toEqual(
      expected([
        ['version', 1, 10, 'CircleCI version "3" is not supported; use 2 or 2.1'],
        [
          'jobs.Build_App',
          3,
          3,
          '"Build_App" is not a valid job name; use at most 63 lowercase letters, digits, "-", "_" and ".", starting and ending with a letter or digit (e.g. "build_app")',
        ],
      ]),
    );
  });

  it('is chosen by file name even without a version', () => {
    const source = yaml('jobs:', '  a: { docker: [{ image: x }], steps: [{ run: make }] }');
    expect(errorsOf(source, '.popsicle/ci.yml')).toEqual(
      expected([['', 1, 1, 'missing required key "version"']]),
    );
    expect(errorsOf(source, 'repo/.circleci/config.yaml')).toEqual(
      expected([['', 1, 1, 'missing required key "version"']]),
    );
    expect(errorsOf(source)).toEqual(
      expected([
        ['jobs', 1, 1, 'a CircleCI-style file needs a top-level "version" (2 or 2.1) next to "jobs"'],
        ['', 1, 1, 'missing top-level key "pipeline"'],
      ]),
    );
  });
});
