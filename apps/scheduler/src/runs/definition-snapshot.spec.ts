import { parseDefinition, PipelineDefinition, StepConditionStatus } from '@kiln/definition';
import fc from 'fast-check';
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_VERSION, UnreadableSnapshotError } from './definition-snapshot';

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
const step = fc.record(
  {
    name,
    image: fc.constantFrom('node:20', 'alpine:3', ''),
    commands: fc.array(fc.string(), { maxLength: 3 }),
    environment: fc.dictionary(fc.stringMatching(/^[A-Z_]{1,8}$/), fc.string(), { maxKeys: 3 }),
    dependsOn: fc.array(name, { maxLength: 2 }),
    deploy: fc.boolean(),
    timeoutMs: fc.nat(),
    noOutputTimeoutMs: fc.integer({ min: 1 }),
    approval: fc.boolean(),
    retry: fc.integer({ min: 0, max: 10 }),
    when: fc.record({ branch: fc.array(name, { maxLength: 2 }), status: fc.subarray<StepConditionStatus>(['success', 'failure', 'always'], { minLength: 1 }) }),
  },
  { requiredKeys: ['name', 'image', 'commands', 'environment', 'dependsOn', 'deploy'] },
);
const pipeline: fc.Arbitrary<PipelineDefinition> = fc.record({
  steps: fc.array(step, { minLength: 1, maxLength: 4 }),
  artifacts: fc.array(fc.record({ name, path: name }), { maxLength: 2 }),
  on: fc.record({ push: fc.record({ branches: fc.array(name, { maxLength: 2 }) }) }, { requiredKeys: [] }),
  failFast: fc.boolean(),
});

/** What a scheduler before the snapshot version wrote: the model as JSON, nothing else. */
const unversioned = (definition: PipelineDefinition) => JSON.parse(JSON.stringify(definition));

describe('run definition snapshot', () => {
  it('writes its version beside the pipeline', () => {
    const parsed = parseDefinition('pipeline:\n  steps:\n    - { name: test, image: node:20, commands: [npm test] }\n');
    if (!parsed.ok) throw new Error('fixture does not parse');
    expect(encodeSnapshot(parsed.definition)).toMatchObject({ version: SNAPSHOT_VERSION, steps: [{ name: 'test' }] });
  });

  it('reads back every pipeline it wrote', () => {
    fc.assert(fc.property(pipeline, (definition) => {
      expect(decodeSnapshot(encodeSnapshot(definition) as object)).toEqual(unversioned(definition));
    }));
  });

  it('reads unversioned snapshots of old runs as they were written', () => {
    fc.assert(fc.property(pipeline, (definition) => {
      expect(decodeSnapshot(unversioned(definition))).toEqual(unversioned(definition));
    }));
  });

  it('reads a parsed definition of an old run, matrix, cache and services included', () => {
    const parsed = parseDefinition(
      [
        'pipeline:',
        '  fail_fast: true',
        '  steps:',
        '    - name: test',
        '      image: node:${NODE}',
        '      commands: [npm test]',
        '      matrix: { NODE: ["18", "20"] }',
        '      cache: [{ key: deps, paths: [node_modules] }]',
        '      services: [{ name: db, image: postgres:16 }]',
        '    - { name: gate, approval: true, depends_on: [test] }',
        '  artifacts: [{ name: out, path: out/ }]',
      ].join('\n'),
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(decodeSnapshot(unversioned(parsed.definition))).toEqual(unversioned(parsed.definition));
  });

  it('fills what the oldest snapshots may lack', () => {
    expect(decodeSnapshot({ steps: [{ name: 'build', image: 'alpine', commands: ['make'] }] })).toEqual({
      steps: [{ name: 'build', image: 'alpine', commands: ['make'], environment: {}, dependsOn: [], deploy: false }],
      artifacts: [],
      on: {},
      failFast: false,
    });
  });

  it('answers null for a run that never had a definition', () => {
    expect(decodeSnapshot(null)).toBeNull();
  });

  it.each([
    ['a newer version', { version: SNAPSHOT_VERSION + 1, steps: [] }, /unknown version 2/],
    ['steps without names', { steps: [{ image: 'x' }] }, /steps must be named objects/],
    ['no steps', { version: 1 }, /steps must be named objects/],
    ['a list', [], /not an object/],
  ])('refuses %s', (_what, json, message) => {
    expect(() => decodeSnapshot(json)).toThrow(UnreadableSnapshotError);
    expect(() => decodeSnapshot(json)).toThrow(message);
  });
});
