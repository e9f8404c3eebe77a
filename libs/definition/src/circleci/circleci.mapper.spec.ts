import { DefinitionError, parseDefinition } from '../index';
import { NO_EQUIVALENT } from './circleci-corpus.spec-helper';
import { CIRCLECI_RUN_FUNCTION } from './circleci-script';
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
            commands: [CIRCLECI_RUN_FUNCTION, "circleci_run 'npm ci'", "circleci_run 'npm run build'"],
            environment: { NODE_ENV: 'test' },
            dependsOn: [],
            deploy: false,
          },
          {
            name: 'test',
            image: 'node:20',
            commands: [CIRCLECI_RUN_FUNCTION, "circleci_run 'npm ci\nnpm test\n'"],
            environment: { NODE_ENV: 'ci', TOKEN: '${{ secrets.NPM_TOKEN }}' },
            dependsOn: ['build'],
            deploy: false,
          },
          {
            name: 'lint',
            image: 'node:20-alpine',
            commands: [CIRCLECI_RUN_FUNCTION, "circleci_run 'npm run lint'"],
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
      warnings: expected([['jobs.unused', 4, 11, 'is in no workflow, so it never runs']]),
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

  it('refuses what has no equivalent, naming the feature, and an unknown orb once', () => {
    const source = yaml(
      'version: 2.1',
      'orbs:',
      '  slack: circleci/slack@4',
      'jobs:',
      '  build:',
      '    docker:',
      '      - image: cimg/node:20.0',
      '    parallelism: 4',
      '    steps:',
      '      - checkout',
      '      - setup_remote_docker',
      '      - slack/notify',
      '      - run: make',
      '      - slack/notify',
      '  mac:',
      '    macos: { xcode: "15.0" }',
      '    steps: [checkout, { run: make }]',
      'workflows:',
      '  one:',
      '    jobs:',
      '      - build',
      '      - mac: { context: org }',
    );
    expect(errorsOf(source).map((e) => [e.path, e.line, e.column])).toEqual([
      ['orbs.slack', 3, 3],
      ['jobs.build.parallelism', 8, 18],
      ['jobs.build.steps[1].setup_remote_docker', 11, 9],
      ['jobs.mac.macos', 16, 5],
      ['workflows.one.jobs[1].mac.context', 22, 16],
    ]);
    expect(errorsOf(source).every((e) => NO_EQUIVALENT.test(e.message))).toBe(true);
  });

  it('keeps artifacts of one job apart and prefixes them with the step', () => {
    const source = yaml(
      'version: 2',
      'jobs:',
      '  a:',
      '    docker: [{ image: x }]',
      '    steps:',
      '      - run: make',
      '      - store_artifacts: { path: out, destination: Reports/Unit }',
      '      - store_artifacts: { path: logs, destination: reports/unit }',
      '      - store_artifacts: { path: /tmp/coverage }',
      '      - store_test_results: { path: ~/project/junit }',
    );
    const result = parseDefinition(source);
    expect(result.ok && result.definition.artifacts).toEqual([
      { name: 'a-reports-unit', path: 'out' },
      { name: 'a-reports-unit-2', path: 'logs' },
      { name: 'a-coverage', path: '.circleci-artifacts/a-coverage/' },
      { name: 'a-test-results', path: 'junit', report: 'junit' },
    ]);
    expect(result.ok && result.definition.steps[0].commands).toContain(
      "(mkdir -p '.circleci-artifacts/a-coverage/' && cp -R '/tmp/coverage' '.circleci-artifacts/a-coverage/')",
    );
  });

  it('folds job names Kiln does not allow and says so', () => {
    const source = yaml(
      'version: 2',
      'jobs:',
      '  Build App:',
      '    docker: [{ image: x }]',
      '    steps: [{ run: make }]',
    );
    expect(parseDefinition(source)).toMatchObject({
      ok: true,
      definition: { steps: [{ name: 'build-app' }] },
      warnings: expected([
        ['jobs."Build App"', 4, 5, 'runs as the step "build-app" ("Build App" is not a valid step name)'],
      ]),
    });
  });

  it('checks the version', () => {
    const source = yaml(
      'version: 3',
      'jobs:',
      '  a:',
      '    docker: [{ image: x }]',
      '    steps: [{ run: make }]',
    );
    expect(errorsOf(source)).toEqual(
      expected([['version', 1, 10, 'CircleCI version "3" is not supported; use 2 or 2.1']]),
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
