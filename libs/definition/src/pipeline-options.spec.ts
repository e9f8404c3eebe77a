import { DefinitionError, parseDefinition, PipelineDefinition, renderCacheKey, stepConditionSkip } from './index';
import { step, yaml } from './yaml-lines.spec-helper';

function parsed(source: string): PipelineDefinition {
  const result = parseDefinition(source);
  if (!result.ok) throw new Error(JSON.stringify(result.errors, null, 2));
  return result.definition;
}

function errorsOf(source: string): Array<[string, number, number, string]> {
  const result = parseDefinition(source);
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.definition)}`);
  return result.errors.map((e: DefinitionError) => [e.path, e.line, e.column, e.message]);
}

describe('matrix', () => {
  it('expands to one step per combination in key order, with the values in env and image', () => {
    const definition = parsed(
      yaml(
        'pipeline:',
        '  steps:',
        '    - name: test',
        '      image: node:${NODE}',
        '      commands: [npm test]',
        '      environment: { CI_NAME: x }',
        '      matrix:',
        "        NODE: ['18', '20']",
        '        DB: [pg, mysql]',
        ...step('report', ['depends_on: [test]']),
      ),
    );
    expect(definition.steps.map((s) => s.name)).toEqual(['test-18-pg', 'test-18-mysql', 'test-20-pg', 'test-20-mysql', 'report']);
    const first = definition.steps[0];
    expect(first.image).toBe('node:18');
    expect(first.environment).toEqual({ CI_NAME: 'x', NODE: '18', DB: 'pg' });
    expect(first.matrix).toEqual({ NODE: '18', DB: 'pg' });
    expect(definition.steps[4].dependsOn).toEqual(['test-18-pg', 'test-18-mysql', 'test-20-pg', 'test-20-mysql']);
  });

  it('drops excluded combinations and adds included ones', () => {
    const definition = parsed(
      yaml(
        'pipeline:',
        '  steps:',
        ...step('t', [
          'matrix:',
          '  OS: [a, b]',
          '  V: [1, 2]',
          '  exclude: [{ OS: b, V: 2 }]',
          '  include: [{ OS: c, V: 1 }, { OS: a, V: 1 }]',
        ]),
      ),
    );
    expect(definition.steps.map((s) => s.name)).toEqual(['t-a-1', 't-a-2', 't-b-1', 't-c-1']);
  });

  it('reports an empty list, too many combinations, an unknown image variable and an incomplete include', () => {
    const values = Array.from({ length: 9 }, (_, i) => `v${i}`).join(', ');
    expect(
      errorsOf(
        yaml(
          'pipeline:',
          '  steps:',
          ...step('a', ['matrix:', '  X: []']),
          ...step('b', ['matrix:', `  X: [${values}]`, `  Y: [${values}]`]),
          '    - name: c',
          '      image: node:${NODE}',
          '      commands: [x]',
          '      matrix: { V: [1], include: [{ X: 2 }] }',
        ),
      ),
    ).toEqual([
      ['steps[0].matrix', 7, 9, 'steps[0].matrix: must give at least one variable with a list of values'],
      ['steps[0].matrix.X', 7, 12, 'steps[0].matrix.X: must list at least one value'],
      ['steps[1].matrix', 12, 9, 'steps[1].matrix: has 81 combinations; at most 64 are allowed'],
      ['steps[2].image', 14, 7, 'steps[2].image: "${NODE}" is not a matrix variable of this step'],
      ['steps[2].matrix.include[0]', 17, 35, 'steps[2].matrix.include[0]: must give a value for V'],
      ['steps[2].matrix.include[0].X', 17, 37, 'steps[2].matrix.include[0].X: unknown key "X" (did you mean "V"?)'],
    ]);
  });
});

describe('when', () => {
  it('reads branch, tag, event and status lists; status defaults to success', () => {
    const definition = parsed(
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a', ['when: { branch: [main, "release/*"], event: push }']),
        ...step('b', ['when: { status: [failure] }']),
      ),
    );
    expect(definition.steps[0].when).toEqual({ branch: ['main', 'release/*'], event: ['push'], status: ['success'] });
    expect(definition.steps[1].when).toEqual({ status: ['failure'] });
  });

  it('reports a status typo, an unknown event and an unknown key where they are written', () => {
    expect(errorsOf(yaml('pipeline:', '  steps:', ...step('a', ['when: { status: [failed], event: [pr], brnch: [x] }'])))).toEqual([
      ['steps[0].when.status[0]', 6, 24, 'steps[0].when.status[0]: "failed" is not one of success, failure, always'],
      ['steps[0].when.event[0]', 6, 41, 'steps[0].when.event[0]: "pr" is not one of push, pull_request, tag, schedule, manual, api'],
      ['steps[0].when.brnch', 6, 46, 'steps[0].when.brnch: unknown key "brnch" (did you mean "branch"?)'],
    ]);
  });

  it('says why a branch, tag or event condition does not hold', () => {
    const when = { branch: ['main'], status: ['success' as const] };
    expect(stepConditionSkip(when, { branch: 'main', events: ['push'] })).toBeUndefined();
    expect(stepConditionSkip(when, { branch: 'dev', events: ['push'] })).toBe('when.branch does not match branch "dev"');
    expect(stepConditionSkip({ event: ['push'], status: ['success'] }, { branch: 'x', events: ['manual', 'api'] })).toBe(
      'when.event does not include "manual" or "api"',
    );
    expect(stepConditionSkip({ tag: ['v*'], status: ['success'] }, { tag: 'v1.2', events: ['tag'] })).toBeUndefined();
  });
});

describe('approval', () => {
  it('is a step without image and commands', () => {
    const definition = parsed(
      yaml('pipeline:', '  steps:', ...step('a'), '    - name: gate', '      approval: true', '      depends_on: [a]', '      timeout: 1h'),
    );
    expect(definition.steps[1]).toMatchObject({ name: 'gate', approval: true, image: '', commands: [], timeoutMs: 3_600_000 });
  });

  it('refuses commands, and a non-boolean value', () => {
    expect(
      errorsOf(yaml('pipeline:', '  steps:', '    - name: gate', '      approval: true', '      commands: [x]', ...step('b', ['approval: please']))),
    ).toEqual([
      ['steps[0].commands', 5, 7, 'steps[0].commands: an approval step has no "commands": it waits for a person and runs nothing'],
      ['steps[1].approval', 9, 17, 'steps[1].approval: must be true or false'],
    ]);
  });
});

describe('retry', () => {
  it('reads a count and refuses anything else', () => {
    expect(parsed(yaml('pipeline:', '  steps:', ...step('a', ['retry: 2']))).steps[0].retry).toBe(2);
    expect(errorsOf(yaml('pipeline:', '  steps:', ...step('a', ['retry: many'])))).toEqual([
      ['steps[0].retry', 6, 14, 'steps[0].retry: must be a whole number from 0 to 10'],
    ]);
  });
});

describe('cache', () => {
  it('reads key, restore_keys and normalised paths', () => {
    const definition = parsed(
      yaml('pipeline:', '  steps:', ...step('a', ['cache:', '  - key: deps-{{ checksum "package-lock.json" }}-{{ branch }}', '    restore_keys: [deps-]', '    paths: [./node_modules/]'])),
    );
    expect(definition.steps[0].cache).toEqual([
      { key: 'deps-{{ checksum "package-lock.json" }}-{{ branch }}', restoreKeys: ['deps-'], paths: ['node_modules'] },
    ]);
  });

  it('reports an unknown template, a path outside the workspace and missing paths', () => {
    expect(
      errorsOf(yaml('pipeline:', '  steps:', ...step('a', ['cache:', '  - key: deps-{{ hash "x" }}', '    paths: [../up]', '  - key: k']))),
    ).toEqual([
      ['steps[0].cache[0].key', 7, 16, 'steps[0].cache[0].key: "{{ hash "x" }}" is not a cache key template; use {{ checksum "file" }}, {{ branch }}, {{ arch }} or {{ epoch }}'],
      ['steps[0].cache[0].paths[0]', 8, 19, 'steps[0].cache[0].paths[0]: "../up" leaves the workspace through ".."'],
      ['steps[0].cache[1]', 9, 11, 'steps[0].cache[1]: missing required key "paths"'],
    ]);
  });

  it('renders templates into a key safe for object names', () => {
    const key = renderCacheKey('deps-{{ checksum "a.lock" }}-{{ branch }}-{{ arch }}-{{epoch}}', {
      checksum: (file) => (file === 'a.lock' ? 'abc' : undefined),
      branch: 'feature/x y',
      arch: 'amd64',
      epoch: 7,
    });
    expect(key).toBe('deps-abc-feature-x-y-amd64-7');
  });
});

describe('services', () => {
  it('reads name, image, environment, commands and wait_for', () => {
    const definition = parsed(
      yaml('pipeline:', '  steps:', ...step('a', ['services:', '  - name: db', '    image: postgres:16', '    environment: { POSTGRES_PASSWORD: t }', '    wait_for: { port: 5432, timeout: 30s }', '  - { name: echo, image: busybox, commands: [nc -l -p 8080] }'])),
    );
    expect(definition.steps[0].services).toEqual([
      { name: 'db', image: 'postgres:16', environment: { POSTGRES_PASSWORD: 't' }, waitFor: { port: 5432, timeoutMs: 30_000 } },
      { name: 'echo', image: 'busybox', environment: {}, commands: ['nc -l -p 8080'] },
    ]);
  });

  it('reports a service without image, a duplicate name and a bad port', () => {
    expect(
      errorsOf(yaml('pipeline:', '  steps:', ...step('a', ['services:', '  - name: db', '  - { name: x, image: i, wait_for: { port: 0 } }', '  - { name: x, image: i }']))),
    ).toEqual([
      ['steps[0].services[0]', 7, 11, 'steps[0].services[0]: missing required key "image"'],
      ['steps[0].services[1].wait_for.port', 8, 50, 'steps[0].services[1].wait_for.port: must be a port number from 1 to 65535'],
      ['steps[0].services[2]', 9, 11, 'steps[0].services[2]: duplicate service name "x"'],
    ]);
  });
});
