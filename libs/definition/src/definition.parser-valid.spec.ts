import { parseDefinition, PipelineDefinition } from './index';
import { step, yaml } from './yaml-lines.spec-helper';

function definitionOf(source: string | Buffer): PipelineDefinition {
  const result = parseDefinition(source);
  if (!result.ok)
    throw new Error(`expected a valid definition, got:\n${result.errors.map((e) => e.message).join('\n')}`);
  return result.definition;
}

const SPEC_EXAMPLE = yaml(
  'pipeline:',
  '  steps:',
  '    - name: test',
  '      image: node:20',
  '      commands: [npm ci, npm test]',
  '      environment: { CI: "true", TOKEN: "${{ secrets.NPM_TOKEN }}" }',
  '      depends_on: []          # DAG edges; steps without edges run in parallel',
  '      timeout: 30m            # optional, default from config',
  '      resources: { cpu: "1", memory: 1Gi }   # optional',
  '    - name: build-image',
  '      depends_on: [test]',
  '      build: { context: ., dockerfile: Dockerfile }   # built and pushed by the backend',
  '      deploy: true            # success hands image_ref@digest to the deployer',
  '  artifacts:',
  '    - { name: test-results, path: target/nextest/, expires: 7d, report: junit }',
  '  on:',
  '    push: { branches: [main, "release/*"], tags: ["v*"] }',
  '    mr: { actions: [opened, synchronized] }',
  '    schedule: "0 3 * * *"',
);

describe('parseDefinition: valid definitions', () => {
  it('reads the SPEC §3 example completely', () => {
    const result = parseDefinition(SPEC_EXAMPLE);
    expect(result).toEqual({
      ok: true,
      format: 'platform',
      warnings: [],
      definition: {
        steps: [
          {
            name: 'test',
            image: 'node:20',
            commands: ['npm ci', 'npm test'],
            environment: { CI: 'true', TOKEN: '${{ secrets.NPM_TOKEN }}' },
            dependsOn: [],
            timeoutMs: 30 * 60_000,
            resources: { cpu: '1', memory: '1Gi' },
            deploy: false,
          },
          {
            name: 'build-image',
            image: '',
            commands: [],
            environment: {},
            dependsOn: ['test'],
            build: { context: '.', dockerfile: 'Dockerfile' },
            deploy: true,
          },
        ],
        artifacts: [
          { name: 'test-results', path: 'target/nextest/', expiresMs: 7 * 86_400_000, report: 'junit' },
        ],
        on: {
          push: { branches: ['main', 'release/*'], tags: ['v*'] },
          mr: { actions: ['opened', 'synchronized'] },
          schedule: '0 3 * * *',
        },
        failFast: false,
      },
    });
  });

  it('defaults: no on section, fail_fast false, no artifacts', () => {
    expect(definitionOf(yaml('pipeline:', '  steps:', ...step('a')))).toEqual({
      steps: [
        { name: 'a', image: 'alpine:3', commands: ['echo a'], environment: {}, dependsOn: [], deploy: false },
      ],
      artifacts: [],
      on: {},
      failFast: false,
    });
  });

  const cases: Array<[string, string, (d: PipelineDefinition) => void]> = [
    [
      'a single string for commands and depends_on',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a'),
        '    - { name: b, image: x, commands: make, depends_on: a }',
      ),
      (d) => expect(d.steps[1]).toMatchObject({ commands: ['make'], dependsOn: ['a'] }),
    ],
    [
      'a block scalar is one multi-line command',
      yaml(
        'pipeline:',
        '  steps:',
        '    - name: a',
        '      image: x',
        '      commands:',
        '        - |',
        '          set -x',
        '          make',
      ),
      (d) => expect(d.steps[0].commands).toEqual(['set -x\nmake\n']),
    ],
    [
      'numbers and booleans in environment keep their written form',
      yaml('pipeline:', '  steps:', ...step('a', ['environment: { N: 010, F: 1.50, B: true, Q: "x" }'])),
      (d) => expect(d.steps[0].environment).toEqual({ N: '010', F: '1.50', B: 'true', Q: 'x' }),
    ],
    [
      'durations and quantities in all their forms',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a', ['timeout: 1h30m', 'no_output_timeout: 10m', 'resources: { cpu: 500m, memory: 512Mi }']),
        ...step('b', ['timeout: 45s', 'resources: { cpu: 2.5, memory: 1e9 }']),
      ),
      (d) => {
        expect(d.steps.map((s) => s.timeoutMs)).toEqual([5_400_000, 45_000]);
        expect(d.steps.map((s) => s.noOutputTimeoutMs)).toEqual([600_000, undefined]);
        expect(d.steps.map((s) => s.resources)).toEqual([
          { cpu: '500m', memory: '512Mi' },
          { cpu: '2.5', memory: '1e9' },
        ]);
      },
    ],
    [
      'node selectors and tolerations, with Equal as the default operator',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a', [
          'node_selector: { kubernetes.io/arch: arm64, gpu: "true" }',
          'tolerations:',
          '        - { key: gpu, value: "true", effect: NoSchedule }',
          '        - { key: kiln.dev/spot, operator: Exists }',
        ]),
        ...step('b'),
      ),
      (d) => {
        expect(d.steps.map((s) => s.nodeSelector)).toEqual([
          { 'kubernetes.io/arch': 'arm64', gpu: 'true' },
          undefined,
        ]);
        expect(d.steps[0].tolerations).toEqual([
          { key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
          { key: 'kiln.dev/spot', operator: 'Exists' },
        ]);
      },
    ],
    [
      'artifact paths are normalised inside the workspace',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a'),
        '  artifacts:',
        '    - { name: a, path: ./out/../dist/ }',
        '    - { name: b, path: . }',
      ),
      (d) =>
        expect(d.artifacts).toEqual([
          { name: 'a', path: 'dist/' },
          { name: 'b', path: '.' },
        ]),
    ],
    [
      'empty push and mr triggers mean every branch and the default actions',
      yaml('pipeline:', '  steps:', ...step('a'), '  on:', '    push:', '    mr:'),
      (d) => expect(d.on).toEqual({ push: {}, mr: { actions: ['opened', 'synchronized', 'reopened'] } }),
    ],
    [
      'provider spellings of mr actions are normalised',
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a'),
        '  on:',
        '    mr: { actions: [open, update, synchronize, reopen, merge] }',
      ),
      (d) => expect(d.on.mr?.actions).toEqual(['opened', 'synchronized', 'reopened', 'merged']),
    ],
    [
      'a leading document marker, comments and CRLF line endings',
      '---\r\n# CI\r\npipeline:\r\n  steps:\r\n    - name: a\r\n      image: x\r\n      commands: [make]\r\n',
      (d) => expect(d.steps[0]).toMatchObject({ name: 'a', image: 'x', commands: ['make'] }),
    ],
    [
      'a byte order mark',
      `\ufeff${yaml('pipeline:', '  steps:', ...step('a'))}`,
      (d) => expect(d.steps[0].name).toBe('a'),
    ],
    [
      'fail_fast under pipeline',
      yaml('pipeline:', '  steps:', ...step('a'), '  fail_fast: true'),
      (d) => expect(d.failFast).toBe(true),
    ],
  ];

  it.each(cases)('%s', (_name, source, check) => check(definitionOf(source)));

  it('merges anchored defaults, with explicit keys winning', () => {
    const source = yaml(
      'pipeline:',
      '  steps:',
      '    - &base',
      '      name: a',
      '      image: node:20',
      '      timeout: 10m',
      '      commands: [npm test]',
      '    - <<: *base',
      '      name: b',
      '      timeout: 1h',
    );
    const { steps } = definitionOf(source);
    expect(steps[1]).toEqual({ ...steps[0], name: 'b', timeoutMs: 3_600_000 });
  });

  it('accepts a UTF-8 Buffer with non-ASCII text', () => {
    const source = Buffer.from(
      yaml('pipeline:', '  steps:', ...step('a', ['environment: { GREETING: "héllo ✓" }'])),
      'utf8',
    );
    expect(definitionOf(source).steps[0].environment).toEqual({ GREETING: 'héllo ✓' });
  });

  it('keeps a schedule that never fires, with a warning', () => {
    const result = parseDefinition(
      yaml('pipeline:', '  steps:', ...step('a'), '  on:', '    schedule: "0 0 31 2 *"'),
    );
    expect(result).toMatchObject({
      ok: true,
      definition: { on: { schedule: '0 0 31 2 *' } },
      warnings: [
        {
          path: 'on.schedule',
          line: 7,
          column: 15,
          message: 'on.schedule: "0 0 31 2 *" never fires, so nothing runs on this schedule',
        },
      ],
    });
  });

  it('warns when a step sets a variable that Kiln injects', () => {
    const result = parseDefinition(
      yaml('pipeline:', '  steps:', ...step('a', ['environment: { COMMIT_SHA: abc, CI: "true" }'])),
    );
    expect(result).toMatchObject({
      ok: true,
      warnings: [
        {
          path: 'steps[0].environment.COMMIT_SHA',
          line: 6,
          column: 22,
          message:
            'steps[0].environment.COMMIT_SHA: "COMMIT_SHA" is set by Kiln in every step; this value is ignored',
        },
      ],
    });
  });

  it("does not warn about a service's variable named like one Kiln injects: a service gets only its own", () => {
    const result = parseDefinition(
      yaml(
        'pipeline:',
        '  steps:',
        ...step('a', ['services: [{ name: db, image: postgres, environment: { COMMIT_SHA: abc } }]']),
      ),
    );
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });
});
