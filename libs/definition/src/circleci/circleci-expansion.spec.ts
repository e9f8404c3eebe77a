import { parseDefinition, PipelineDefinition } from '../index';
import { yaml } from '../yaml-lines.spec-helper';

function definitionOf(...lines: string[]): PipelineDefinition {
  const result = parseDefinition(yaml(...lines));
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.definition;
}

const commandsOf = (definition: PipelineDefinition, step = 0) => definition.steps[step].commands.slice(1);

describe('CircleCI expansion', () => {
  it('expands executors, commands and parameters with their defaults', () => {
    const definition = definitionOf(
      'version: 2.1',
      'parameters:',
      '  target: { type: string, default: dist }',
      'executors:',
      '  node:',
      '    parameters: { tag: { type: string, default: "18" } }',
      '    docker: [{ image: "cimg/node:<< parameters.tag >>" }]',
      '    environment: [CI_MODE=full]',
      'commands:',
      '  build:',
      '    parameters:',
      '      mode: { type: enum, enum: [dev, prod], default: dev }',
      '      after: { type: steps, default: [] }',
      '    steps:',
      '      - run: make << parameters.mode >> OUT=<< pipeline.parameters.target >>',
      '      - steps: << parameters.after >>',
      'jobs:',
      '  test:',
      '    parameters: { tag: { type: string } }',
      '    executor: { name: node, tag: << parameters.tag >> }',
      '    steps:',
      '      - build: { mode: prod, after: [{ run: echo done }] }',
      'workflows:',
      '  main:',
      '    jobs:',
      '      - test: { name: test-20, tag: "20" }',
    );
    expect(definition.steps).toMatchObject([
      { name: 'test-20', image: 'cimg/node:20', environment: { CI_MODE: 'full' } },
    ]);
    expect(commandsOf(definition)).toEqual(["circleci_run 'make prod OUT=dist'", "circleci_run 'echo done'"]);
  });

  it('reports unknown and missing parameters where the job is used', () => {
    const result = parseDefinition(
      yaml(
        'version: 2.1',
        'jobs:',
        '  test:',
        '    parameters: { tag: { type: string } }',
        '    docker: [{ image: "x:<< parameters.tga >>" }]',
        '    steps: [{ run: make }]',
        'workflows:',
        '  main: { jobs: [{ test: { tog: "1" } }] }',
      ),
    );
    expect(!result.ok && result.errors.map((e) => e.message)).toEqual([
      'jobs.test.docker[0].image: "<< parameters.tga >>" names no declared parameter "tga"',
      'workflows.main.jobs[0].test: missing parameter "tag", which has no default',
      'workflows.main.jobs[0].test.tog: unknown parameter "tog" (did you mean "tag"?)',
    ]);
  });

  it('names matrix jobs as CircleCI does and waits for all of them', () => {
    const definition = definitionOf(
      'version: 2.1',
      'jobs:',
      '  test:',
      '    parameters: { v: { type: string }, db: { type: string } }',
      '    docker: [{ image: "node:<< parameters.v >>" }]',
      '    steps: [{ run: test << parameters.db >> }]',
      '  done: { docker: [{ image: x }], steps: [{ run: echo }] }',
      'workflows:',
      '  main:',
      '    jobs:',
      '      - test:',
      '          matrix:',
      '            parameters: { v: ["18", "20"], db: [pg, my] }',
      '            exclude: [{ v: "18", db: my }]',
      '      - done: { requires: [test] }',
    );
    expect(definition.steps.map((s) => [s.name, s.image, s.dependsOn])).toEqual([
      ['test-18-pg', 'node:18', []],
      ['test-20-pg', 'node:20', []],
      ['test-20-my', 'node:20', []],
      ['done', 'x', ['test-18-pg', 'test-20-pg', 'test-20-my']],
    ]);
  });

  it('groups the jobs of several workflows and maps common filters to "on"', () => {
    const definition = definitionOf(
      'version: 2.1',
      'jobs:',
      '  a: { docker: [{ image: x }], steps: [{ run: make }] }',
      'workflows:',
      '  one: { jobs: [{ a: { filters: { branches: { only: [main, "/release\\\\/.*/"] } } } }] }',
      '  two: { jobs: [{ a: { filters: { branches: { only: [main, "/release\\\\/.*/"] } } } }] }',
    );
    expect(definition.steps.map((s) => s.name)).toEqual(['one.a', 'two.a']);
    expect(definition.on).toEqual({ push: { branches: ['main', 'release/**'] } });
  });

  it('maps a scheduled workflow to the schedule and evaluates when/unless with defaults', () => {
    const definition = definitionOf(
      'version: 2.1',
      'parameters: { nightly: { type: boolean, default: true } }',
      'jobs:',
      '  a: { docker: [{ image: x }], steps: [{ run: make }] }',
      'workflows:',
      '  nightly:',
      '    when: << pipeline.parameters.nightly >>',
      '    triggers: [{ schedule: { cron: "0 3 * * *" } }]',
      '    jobs: [a]',
      '  never:',
      '    unless: << pipeline.parameters.nightly >>',
      '    jobs: [a]',
    );
    expect(definition.on).toEqual({ schedule: '0 3 * * *' });
    expect(definition.steps.map((s) => s.name)).toEqual(['a']);
  });

  it('keeps a parked schedule that never fires, with a warning', () => {
    const result = parseDefinition(
      yaml(
        'version: 2.1',
        'jobs:',
        '  a: { docker: [{ image: x }], steps: [{ run: "true" }] }',
        'workflows:',
        '  parked:',
        '    triggers: [{ schedule: { cron: "0 0 30 2 *" } }]',
        '    jobs: [a]',
      ),
    );
    expect(result).toMatchObject({ ok: true, definition: { on: { schedule: '0 0 30 2 *' } } });
    expect(result.warnings.map((w) => w.message)).toEqual([
      'workflows.parked.triggers[0].schedule.cron: "0 0 30 2 *" never fires, so nothing runs on this schedule',
    ]);
  });

  it('accepts a workflow without jobs, with a warning, beside one that runs', () => {
    const result = parseDefinition(
      yaml(
        'version: 2.1',
        'jobs:',
        '  a: { docker: [{ image: x }], steps: [{ run: "true" }] }',
        'workflows:',
        '  off: { jobs: [] }',
        '  main: { jobs: [a] }',
      ),
    );
    expect(result).toMatchObject({ ok: true, definition: { steps: [{ name: 'a' }] } });
    expect(result.warnings).toEqual([
      {
        path: 'workflows.off.jobs',
        line: 5,
        column: 16,
        message: 'workflows.off.jobs: lists no job, so this workflow runs nothing',
      },
    ]);
  });

  it('refuses a file whose every workflow is empty: a pipeline without steps has no Kiln equivalent', () => {
    const result = parseDefinition(
      yaml(
        'version: 2.1',
        'jobs:',
        '  a: { docker: [{ image: x }], steps: [{ run: "true" }] }',
        'workflows:',
        '  off:',
        '    jobs: []',
      ),
    );
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors).toEqual([
      {
        path: 'workflows',
        line: 5,
        column: 3,
        message:
          'workflows: no workflow lists a job, so this file runs nothing; a pipeline without steps has no Kiln equivalent (a Kiln pipeline runs at least one step)',
      },
    ]);
  });

  it('runs "when: always" and "on_fail" steps after a failure, and fails the job', () => {
    const definition = definitionOf(
      'version: 2.1',
      'jobs:',
      '  a:',
      '    docker: [{ image: x }]',
      '    shell: /bin/bash -eo pipefail',
      '    steps:',
      '      - run: make',
      '      - run: { command: report, when: always }',
      '      - run: { command: alert, when: on_fail, environment: { LEVEL: high }, working_directory: ops }',
    );
    expect(definition.steps[0].commands).toEqual([
      'circleci_failed=0',
      `[ "$circleci_failed" = 1 ] || /bin/bash -eo pipefail -c 'make' || circleci_failed=1`,
      `/bin/bash -eo pipefail -c 'report' || circleci_failed=1`,
      `[ "$circleci_failed" = 0 ] || (export LEVEL='high' && mkdir -p 'ops' && cd 'ops' && /bin/bash -eo pipefail -c 'alert') || :`,
      '[ "$circleci_failed" = 0 ]',
    ]);
  });

  it('links an absolute working directory to the workspace and maps paths under it', () => {
    const definition = definitionOf(
      'version: 2',
      'jobs:',
      '  a:',
      '    docker: [{ image: x }]',
      '    working_directory: /go/src/app',
      '    steps:',
      '      - run: { command: make, working_directory: /go/src/app/cmd }',
      '      - store_artifacts: { path: /go/src/app/out }',
    );
    expect(definition.steps[0].commands[0]).toContain(`ln -s "$PWD" '/go/src/app'`);
    expect(definition.steps[0].commands[2]).toBe(`(mkdir -p 'cmd' && cd 'cmd' && circleci_run 'make')`);
    expect(definition.artifacts).toEqual([{ name: 'a-out', path: 'out' }]);
  });

  it('carries files persisted from outside the workspace to attach_workspace, with warnings', () => {
    const result = parseDefinition(
      yaml(
        'version: 2.1',
        'jobs:',
        '  a:',
        '    docker: [{ image: x }]',
        '    steps:',
        '      - run: make',
        '      - persist_to_workspace: { root: /tmp/ws, paths: [bin] }',
        '      - persist_to_workspace: { root: ., paths: [node_modules] }',
        '  b:',
        '    docker: [{ image: x }]',
        '    steps: [{ attach_workspace: { at: /tmp/ws } }, { run: ls /tmp/ws/bin }]',
        'workflows:',
        '  main: { jobs: [a, { b: { requires: [a] } }] }',
      ),
    );
    expect(result.ok && result.definition.steps.map((s) => s.commands.slice(1, 2))).toEqual([
      ["circleci_run 'make'"],
      [`if [ -d .circleci-workspace ]; then mkdir -p '/tmp/ws' && cp -R .circleci-workspace/. '/tmp/ws'; fi`],
    ]);
    expect(result.ok && result.definition.steps[0].commands[2]).toBe(
      `(mkdir -p .circleci-workspace && cd '/tmp/ws' && tar cf - 'bin') | tar xf - -C .circleci-workspace`,
    );
    expect(result.warnings.map((w) => w.line)).toEqual([7, 8, 11]);
  });

  it('expands the shipped node orb and refuses other orbs once', () => {
    const result = parseDefinition(
      yaml(
        'version: 2.1',
        'orbs:',
        '  node: circleci/node@5.1',
        '  codecov: codecov/codecov@3',
        'jobs:',
        '  a:',
        '    executor: { name: node/default, tag: "20.5" }',
        '    steps: [checkout, { node/install-packages: { pkg-manager: yarn } }, codecov/upload, codecov/upload]',
      ),
    );
    expect(!result.ok && result.errors.map((e) => e.path)).toEqual(['orbs.codecov']);
    const ok = parseDefinition(
      yaml(
        'version: 2.1',
        'orbs: { node: circleci/node@5.1 }',
        'jobs:',
        '  a:',
        '    executor: node/default',
        '    steps: [{ node/install-packages: { pkg-manager: yarn } }]',
      ),
    );
    expect(ok.ok && ok.definition.steps[0].image).toBe('cimg/node:lts');
    expect(ok.ok && ok.definition.steps[0].commands[1]).toContain('yarn install --frozen-lockfile');
  });

  it('decides "when" steps at import and keeps mustache sections', () => {
    const definition = definitionOf(
      'version: 2.1',
      'jobs:',
      '  a:',
      '    parameters: { fast: { type: boolean, default: false } }',
      '    docker: [{ image: x }]',
      '    steps:',
      '      - when: { condition: << parameters.fast >>, steps: [{ run: quick }] }',
      '      - unless: { condition: { equal: [<< parameters.fast >>, true] }, steps: [{ run: full }] }',
      '      - run: test <<# parameters.fast >>--fast<</ parameters.fast >><<^ parameters.fast >>--all<</ parameters.fast >>',
    );
    expect(commandsOf(definition)).toEqual(["circleci_run 'full'", "circleci_run 'test --all'"]);
  });

  it('maps resource classes and warns about what it leaves out', () => {
    const result = parseDefinition(
      yaml(
        'version: 2.1',
        'jobs:',
        '  a:',
        '    docker: [{ image: x, auth: { username: u, password: p } }]',
        '    resource_class: large',
        '    steps: [{ run: { command: make, no_output_timeout: 30m } }, { save_cache: { key: k, paths: [~/.npm] } }]',
      ),
    );
    expect(result.ok && result.definition.steps[0].resources).toEqual({ cpu: '4', memory: '8Gi' });
    expect(result.ok && result.definition.steps[0].cache).toBeUndefined();
    expect(result.ok && result.definition.steps[0].noOutputTimeoutMs).toBe(30 * 60_000);
    expect(result.warnings.map((w) => w.path)).toEqual([
      'jobs.a.docker[0].auth',
      'jobs.a.steps[1].save_cache.paths[0]',
    ]);
  });

  it('gives a job the largest no_output_timeout of its run steps, CircleCI\'s 10m for those naming none', () => {
    const result = parseDefinition(
      yaml(
        'version: 2.1',
        'jobs:',
        '  short: { docker: [{ image: x }], steps: [{ run: { command: a, no_output_timeout: 5m } }, { run: b }] }',
        '  long: { docker: [{ image: x }], steps: [{ run: { command: a, no_output_timeout: 1.5h } }, { run: b }] }',
        '  plain: { docker: [{ image: x }], steps: [{ run: a }] }',
        '  odd: { docker: [{ image: x }], steps: [{ run: { command: a, no_output_timeout: soon } }] }',
        'workflows: { w: { jobs: [short, long, plain, odd] } }',
      ),
    );
    expect(result.ok && result.definition.steps.map((s) => [s.name, s.noOutputTimeoutMs])).toEqual([
      ['short', 10 * 60_000],
      ['long', 90 * 60_000],
      ['plain', undefined],
      ['odd', undefined],
    ]);
    expect(result.warnings.map((w) => w.message)).toEqual([
      'jobs.odd.steps[0].run.no_output_timeout: "soon" is not a duration of a second or more (like 20m or 1.5h); it is left out',
    ]);
  });

  it('maps caches, secondary images and approval jobs onto the step keys', () => {
    const definition = definitionOf(
      'version: 2.1',
      'jobs:',
      '  test:',
      '    docker:',
      '      - image: cimg/node:20.1',
      '      - image: cimg/postgres:16.0',
      '        environment: [POSTGRES_PASSWORD=t]',
      '      - { image: redis:7, name: cache, command: [redis-server, --save, "60 1"] }',
      '    steps:',
      '      - restore_cache: { keys: [\'deps-{{ .Branch }}-{{ checksum "package-lock.json" }}\', deps-] }',
      '      - run: npm ci',
      '      - save_cache: { key: \'deps-{{ .Branch }}-{{ checksum "package-lock.json" }}\', paths: [node_modules, ~/project/.cache/] }',
      '  deploy: { docker: [{ image: x }], steps: [{ run: ./deploy }] }',
      'workflows:',
      '  main:',
      '    jobs:',
      '      - test',
      '      - hold: { type: approval, requires: [test] }',
      '      - deploy: { requires: [hold] }',
    );
    expect(definition.steps[0]).toMatchObject({
      cache: [
        {
          key: 'deps-{{ branch }}-{{ checksum "package-lock.json" }}',
          restoreKeys: ['deps-'],
          paths: ['node_modules', '.cache'],
        },
      ],
      services: [
        { name: 'postgres', image: 'cimg/postgres:16.0', environment: { POSTGRES_PASSWORD: 't' } },
        { name: 'cache', image: 'redis:7', environment: {}, commands: ["'redis-server' '--save' '60 1'"] },
      ],
    });
    expect(definition.steps.slice(1).map((s) => [s.name, s.approval, s.dependsOn])).toEqual([
      ['hold', true, ['test']],
      ['deploy', undefined, ['hold']],
    ]);
  });

  it('gives jobs with their own filters or schedule a step condition', () => {
    const definition = definitionOf(
      'version: 2.1',
      'jobs:',
      '  a: { docker: [{ image: x }], steps: [{ run: make }] }',
      'workflows:',
      '  build:',
      '    jobs:',
      '      - a',
      '      - a: { name: docs, filters: { branches: { only: main } } }',
      '      - a: { name: release, filters: { branches: { ignore: /.*/ }, tags: { only: /^v.*/ } } }',
      '  nightly:',
      '    triggers: [{ schedule: { cron: "0 3 * * *" } }]',
      '    jobs: [a]',
    );
    const events = ['push', 'pull_request', 'tag', 'manual', 'api'];
    expect(definition.on).toEqual({ schedule: '0 3 * * *', push: { branches: ['**'], tags: ['v**'] } });
    expect(definition.steps.map((s) => [s.name, s.when])).toEqual([
      ['build.a', { branch: ['**'], event: events, status: ['success'] }],
      ['build.docs', { branch: ['main'], event: events, status: ['success'] }],
      ['build.release', { tag: ['v**'], event: events, status: ['success'] }],
      ['nightly.a', { event: ['schedule'], status: ['success'] }],
    ]);
  });
});
