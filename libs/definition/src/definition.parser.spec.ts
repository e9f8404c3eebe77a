import { DefinitionError, parseDefinition } from './index';
import { step, yaml } from './yaml-lines.spec-helper';

function errorsOf(source: string): DefinitionError[] {
  const result = parseDefinition(source);
  if (result.ok)
    throw new Error(`expected errors, got a valid definition: ${JSON.stringify(result.definition)}`);
  return result.errors;
}

/** [path, line, column, message-after-the-path] keeps the table readable; the full message is checked. */
type Expected = [string, number, number, string];

function expectErrors(source: string, expected: Expected[]): void {
  const want = expected.map(([path, line, column, text]) => ({
    path,
    line,
    column,
    message: path ? `${path}: ${text}` : text,
  }));
  expect(errorsOf(source)).toEqual(want);
}

const STEP_KEYS =
  'name, image, commands, environment, depends_on, timeout, no_output_timeout, resources, user, node_selector, tolerations, build, deploy, approval, matrix, when, retry, cache, services';

describe('parseDefinition: invalid definitions report every problem with path, line and column', () => {
  const cases: Array<[string, string, Expected[]]> = [
    [
      'an empty file',
      '',
      [['', 1, 1, 'the file is empty; it needs a top-level "pipeline" key with at least one step']],
    ],
    [
      'a comment-only file',
      '# nothing\n',
      [['', 1, 1, 'the file is empty; it needs a top-level "pipeline" key with at least one step']],
    ],
    [
      'a list at the top',
      yaml('- a'),
      [['', 1, 1, 'the file must be a mapping with a top-level "pipeline" key']],
    ],
    [
      'a misspelt top-level key',
      yaml('pipelin:', '  steps: []'),
      [
        ['pipelin', 1, 1, 'unknown key "pipelin" (did you mean "pipeline"?)'],
        ['', 1, 1, 'missing top-level key "pipeline"'],
      ],
    ],
    [
      'steps outside pipeline',
      yaml('steps:', ...step('a', [], '  ')),
      [
        ['steps', 1, 1, '"steps" belongs under "pipeline:"'],
        ['', 1, 1, 'missing top-level key "pipeline"'],
      ],
    ],
    [
      'no steps',
      yaml('pipeline:', '  fail_fast: true'),
      [['steps', 2, 3, 'is required and must list at least one step']],
    ],
    [
      'an empty step list',
      yaml('pipeline:', '  steps: []'),
      [['steps', 2, 10, 'must list at least one step']],
    ],
    [
      'steps as a mapping',
      yaml('pipeline:', '  steps: { a: 1 }'),
      [['steps', 2, 10, 'must list at least one step']],
    ],
    ['pipeline as a string', yaml('pipeline: yes'), [['pipeline', 1, 11, 'must be a mapping with "steps"']]],
    [
      'missing image and commands',
      yaml('pipeline:', '  steps:', '    - name: build'),
      [
        ['steps[0]', 3, 7, 'missing required key "image"'],
        ['steps[0]', 3, 7, 'missing required key "commands"'],
      ],
    ],
    [
      'a step that is not a mapping',
      yaml('pipeline:', '  steps:', '    - npm test'),
      [['steps[0]', 3, 7, 'must be a mapping with "name", "image" and "commands"']],
    ],
    [
      'unknown step keys, with a hint for other CI spellings',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('build', ['script: [make]', 'imagePullPolicy: Always', 'dependson: []']),
      ),
      [
        ['steps[0].script', 6, 7, '"script" is spelt "commands" in Kiln'],
        ['steps[0].imagePullPolicy', 7, 7, `unknown key "imagePullPolicy"; allowed keys are ${STEP_KEYS}`],
        ['steps[0].dependson', 8, 7, 'unknown key "dependson" (did you mean "depends_on"?)'],
      ],
    ],
    [
      'an unknown dependency, with a suggestion',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('build'),
        ...step('test'),
        ...step('deploy', ['depends_on: [buld, test]']),
      ),
      [['steps[2].depends_on', 12, 20, 'unknown step "buld" (did you mean "build"?)']],
    ],
    [
      'an unknown dependency with nothing close',
      yaml('pipeline:', '  steps:', ...step('build', ['depends_on: lint'])),
      [['steps[0].depends_on', 6, 19, 'unknown step "lint"']],
    ],
    [
      'duplicate names, a self dependency and a repeated dependency',
      yaml('pipeline:', '  steps:', ...step('a'), ...step('b', ['depends_on: [b, a, a]']), ...step('a')),
      [
        ['steps[1].depends_on', 9, 20, 'step "b" cannot depend on itself'],
        ['steps[1].depends_on', 9, 26, '"a" is listed more than once'],
        ['steps[2]', 10, 13, 'duplicate step name "a" (first used by steps[0] at line 3)'],
      ],
    ],
    [
      'a dependency cycle names its steps',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a', ['depends_on: [c]']),
        ...step('b', ['depends_on: [a]']),
        ...step('c', ['depends_on: [b]']),
        ...step('d', ['depends_on: [a]']),
      ),
      [['steps[0].depends_on', 6, 20, 'dependency cycle: a -> c -> b -> a']],
    ],
    [
      'two separate cycles are both reported',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a', ['depends_on: [b]']),
        ...step('b', ['depends_on: [a]']),
        ...step('x', ['depends_on: [y]']),
        ...step('y', ['depends_on: [x]']),
      ),
      [
        ['steps[0].depends_on', 6, 20, 'dependency cycle: a -> b -> a'],
        ['steps[2].depends_on', 14, 20, 'dependency cycle: x -> y -> x'],
      ],
    ],
    [
      'invalid step names',
      yaml('pipeline:', '  steps:', ...step('Build App'), ...step(`a${'b'.repeat(63)}`), ...step('"-x"')),
      [
        [
          'steps[0].name',
          3,
          13,
          '"Build App" is not a valid step name; use at most 63 lowercase letters, digits, "-", "_" and ".", starting and ending with a letter or digit (e.g. "build-app")',
        ],
        [
          'steps[1].name',
          6,
          13,
          `"a${'b'.repeat(63)}" is not a valid step name; use at most 63 lowercase letters, digits, "-", "_" and ".", starting and ending with a letter or digit (e.g. "a${'b'.repeat(62)}")`,
        ],
        [
          'steps[2].name',
          9,
          13,
          '"-x" is not a valid step name; use at most 63 lowercase letters, digits, "-", "_" and ".", starting and ending with a letter or digit (e.g. "x")',
        ],
      ],
    ],
    [
      'wrong value types',
      yaml(
        'pipeline:',
        '  steps:',
        '    - name: a',
        '      image: [node]',
        '      commands: { run: make }',
        '      deploy: "true"',
      ),
      [
        ['steps[0].image', 4, 14, 'must be a string'],
        ['steps[0].commands', 5, 17, 'must be a list of strings'],
        ['steps[0].deploy', 6, 15, 'must be true or false'],
      ],
    ],
    [
      'empty values',
      yaml('pipeline:', '  steps:', '    - name:', '      image: ""', '      commands: [make, "", ~]'),
      [
        ['steps[0].name', 3, 7, 'must not be empty'],
        ['steps[0].image', 4, 14, 'must not be empty'],
        ['steps[0].commands[1]', 5, 24, 'must not be empty'],
        ['steps[0].commands[2]', 5, 28, 'must not be empty'],
      ],
    ],
    [
      'durations without units, zero and unknown units',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a', ['timeout: 30']),
        ...step('b', ['timeout: 0s']),
        ...step('c', ['timeout: 1y']),
        ...step('d', ['no_output_timeout: 5']),
      ),
      [
        ['steps[0].timeout', 6, 16, '"30" has no unit; write "30m" for minutes or "30s" for seconds'],
        ['steps[1].timeout', 10, 16, 'must be longer than 0s'],
        [
          'steps[2].timeout',
          14,
          16,
          '"1y" is not a duration; use a number with a unit, like 45s, 30m, 1h30m, 7d or 2w',
        ],
        ['steps[3].no_output_timeout', 18, 26, '"5" has no unit; write "5m" for minutes or "5s" for seconds'],
      ],
    ],
    [
      'node selectors and tolerations Kubernetes would refuse',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a', ['node_selector: { "bad key!": x, kubernetes.io/arch: "not ok" }']),
        ...step('b', ['node_selector: [gpu]']),
        ...step('c', [
          'tolerations:',
          '        - { operator: Exists }',
          '        - { key: gpu, operator: Exists, value: "1" }',
        ]),
        ...step('d', ['tolerations:', '        - { key: gpu, operator: Maybe, effect: Never, seconds: 5 }']),
      ),
      [
        [
          'steps[0].node_selector."bad key!"',
          6,
          24,
          '"bad key!" is not a node label key; write an optional DNS prefix and a name of letters, digits, "-", "_" and "." (e.g. "kubernetes.io/arch")',
        ],
        [
          'steps[0].node_selector."kubernetes.io/arch"',
          6,
          59,
          '"not ok" is not a label value (at most 63 letters, digits, "-", "_" and ".")',
        ],
        [
          'steps[1].node_selector',
          10,
          22,
          'must be a mapping of node label to value, such as { kubernetes.io/arch: arm64 }',
        ],
        [
          'steps[2].tolerations[0].key',
          15,
          17,
          'missing required key "key": a step tolerates named taints only',
        ],
        ['steps[2].tolerations[1].value', 16, 54, 'a toleration with operator Exists has no value'],
        ['steps[3].tolerations[0].operator', 21, 39, 'must be Exists or Equal, not "Maybe"'],
        [
          'steps[3].tolerations[0].effect',
          21,
          54,
          'must be one of NoSchedule, PreferNoSchedule, NoExecute, not "Never"',
        ],
        [
          'steps[3].tolerations[0].seconds',
          21,
          61,
          'unknown key "seconds"; allowed keys are key, operator, value, effect',
        ],
      ],
    ],
    [
      'resource quantities',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a', ['resources: { cpu: 2Gi, memory: 1GB, gpu: 1 }']),
        ...step('b', ['resources: { memory: 512m }']),
      ),
      [
        ['steps[0].resources.cpu', 6, 25, '"2Gi" is not a CPU quantity; use cores like "1", "0.5" or "500m"'],
        [
          'steps[0].resources.memory',
          6,
          38,
          '"1GB" is not a memory quantity; use bytes with a unit like "512Mi" or "1Gi"; did you mean "1Gi"?',
        ],
        ['steps[0].resources.gpu', 6, 43, 'GPU requests are not supported'],
        ['steps[1].resources.memory', 10, 28, '"512m" means 512 millibytes; did you mean "512Mi"?'],
      ],
    ],
    [
      'environment names, values and expressions',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a', [
          'environment:',
          '  1BAD: x',
          '  EMPTY:',
          '  NESTED: { a: 1 }',
          '  EXPR: ${{ env.HOME }}',
          '  OPEN: "${{ secrets.X"',
          '  OK: ${{ secrets.NPM_TOKEN }}',
        ]),
      ),
      [
        [
          'steps[0].environment.1BAD',
          7,
          9,
          '"1BAD" is not a valid variable name; use letters, digits and "_", not starting with a digit',
        ],
        [
          'steps[0].environment.EMPTY',
          8,
          9,
          'must be a string, number or boolean (write "" for an empty value)',
        ],
        [
          'steps[0].environment.NESTED',
          9,
          17,
          'must be a string, number or boolean (write "" for an empty value)',
        ],
        [
          'steps[0].environment.EXPR',
          10,
          15,
          'unsupported expression "${{ env.HOME }}"; only ${{ secrets.NAME }} is supported',
        ],
        ['steps[0].environment.OPEN', 11, 15, '"${{" is never closed with "}}"'],
      ],
    ],
    [
      'secrets in commands',
      yaml(
        'pipeline:',
        '  steps:',
        '    - name: a',
        '      image: alpine',
        '      commands:',
        '        - curl -H "${{ secrets.TOKEN }}" x',
      ),
      [
        [
          'steps[0].commands[0]',
          6,
          11,
          '"${{ }}" expressions are only resolved in "environment"; set a variable there (e.g. TOKEN: ${{ secrets.TOKEN }}) and use $TOKEN in the command',
        ],
      ],
    ],
    [
      'artifact names and paths',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a'),
        '  artifacts:',
        '    - { name: logs, path: /var/log }',
        '    - { name: logs, path: ../secrets }',
        '    - { name: home, path: ~/out }',
        '    - { name: glob, path: "out/*.xml", expires: 1 }',
        '    - { name: no-path }',
        '    - reports/',
        '    - { name: html, path: out, report: html }',
      ),
      [
        ['artifacts[0].path', 7, 27, '"/var/log" must be relative to the workspace, not an absolute path'],
        ['artifacts[1].name', 8, 15, 'duplicate artifact name "logs" (first used by artifacts[0] at line 7)'],
        ['artifacts[1].path', 8, 27, '"../secrets" leaves the workspace through ".."'],
        [
          'artifacts[2].path',
          9,
          27,
          '"~/out" starts with "~", which is not expanded; give a path relative to the workspace',
        ],
        ['artifacts[3].path', 10, 27, '"out/*.xml" contains a glob character; name a file or a directory'],
        ['artifacts[3].expires', 10, 49, '"1" has no unit; write "1m" for minutes or "1s" for seconds'],
        ['artifacts[4]', 11, 7, 'missing required key "path"'],
        ['artifacts[5]', 12, 7, 'must be a mapping with "name" and "path"'],
        ['artifacts[6].report', 13, 40, 'must be one of junit'],
      ],
    ],
    [
      'an empty on section',
      yaml('pipeline:', '  steps:', ...step('a'), '  on: {}'),
      [
        [
          'on',
          6,
          7,
          'must name at least one of push, mr, schedule (remove "on" to run on every push and merge request)',
        ],
      ],
    ],
    [
      'trigger mistakes',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a'),
        '  on:',
        '    pull_request: {}',
        '    push: { branch: main, tags: [] }',
        '    mr: { actions: [opne, closed, approved] }',
        '    schedule: "0 3 * * * *"',
      ),
      [
        ['on.pull_request', 7, 5, '"pull_request" is spelt "mr" in Kiln'],
        ['on.push.branch', 8, 13, 'unknown key "branch" (did you mean "branches"?)'],
        ['on.push.tags', 8, 33, 'must list at least one pattern'],
        ['on.mr.actions[0]', 9, 21, 'unknown merge request action "opne" (did you mean "opened"?)'],
        [
          'on.mr.actions[2]',
          9,
          35,
          'unknown merge request action "approved"; use opened, synchronized, reopened, closed, merged',
        ],
        [
          'on.schedule',
          10,
          15,
          '"0 3 * * * *" must have 5 fields (minute hour day-of-month month day-of-week), not 6',
        ],
      ],
    ],
    [
      'on as a string',
      yaml('pipeline:', '  steps:', ...step('a'), '  on: push'),
      [['on', 6, 7, 'must be a mapping with "push", "mr" and/or "schedule"']],
    ],
    [
      'YAML 1.1 booleans',
      yaml('pipeline:', '  steps:', ...step('a'), '  fail_fast: yes'),
      [['fail_fast', 6, 14, 'must be true or false ("yes" is a string in YAML 1.2)']],
    ],
    [
      'duplicate keys are errors, wherever they are',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a', ['image: node:20']),
        '  fail_fast: true',
        '  fail_fast: false',
      ),
      [
        ['steps[0].image', 6, 7, 'duplicate key "image" (first defined at line 4)'],
        ['fail_fast', 8, 3, 'duplicate key "fail_fast" (first defined at line 7)'],
      ],
    ],
  ];

  it.each(cases)('%s', (_name, source, expected) => expectErrors(source, expected));

  it('caps the number of reported problems and says how many were left out', () => {
    const steps = Array.from({ length: 150 }, (_, i) => `    - { name: s${i}, image: x }`);
    const errors = errorsOf(yaml('pipeline:', '  steps:', ...steps));
    expect(errors).toHaveLength(101);
    expect(errors[100]).toEqual({
      path: '',
      line: 102,
      column: 7,
      message: '50 more problems not shown; fix the ones above first',
    });
  });

  it('rejects more steps than the limit', () => {
    const steps = Array.from({ length: 1001 }, (_, i) => `    - { name: s${i}, image: x, commands: [x] }`);
    expect(errorsOf(yaml('pipeline:', '  steps:', ...steps))).toEqual([
      { path: 'steps', line: 1003, column: 7, message: 'steps: has 1001 steps; at most 1000 are allowed' },
    ]);
  });
});
