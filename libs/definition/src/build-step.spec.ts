import { parseDefinition } from './index';
import { step, yaml } from './yaml-lines.spec-helper';

const withBuildStep = (...lines: string[]) =>
  yaml('pipeline:', '  steps:', ...step('test'), '    - name: package', ...lines.map((l) => `      ${l}`));

/** [path, line, column, message-after-the-path]. */
function errorsOf(source: string): Array<[string, number, number, string]> {
  const result = parseDefinition(source);
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.definition.steps)}`);
  return result.errors.map((e) => [e.path, e.line, e.column, e.message.slice(e.path.length + 2)]);
}

describe('parseDefinition: build steps', () => {
  it('reads a build step with its context and Dockerfile, normalised, and deploy', () => {
    const result = parseDefinition(
      withBuildStep('build: { context: ./app/, dockerfile: docker/../Containerfile }', 'deploy: true'),
    );
    expect(result.ok && result.definition.steps[1]).toEqual({
      name: 'package',
      image: '',
      commands: [],
      environment: {},
      dependsOn: [],
      build: { context: 'app', dockerfile: 'Containerfile' },
      deploy: true,
    });
  });

  it('defaults the context to the workspace and the Dockerfile to "Dockerfile"', () => {
    const result = parseDefinition(withBuildStep('build: {}'));
    expect(result.ok && result.definition.steps[1].build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
  });

  it.each([
    [
      'an absolute context',
      'build: { context: /etc }',
      [['steps[1].build.context', 7, 25, '"/etc" must be relative to the workspace, not an absolute path']],
    ],
    [
      'a context that climbs out of the workspace',
      'build: { context: app/../.. }',
      [['steps[1].build.context', 7, 25, '"app/../.." leaves the workspace through ".."']],
    ],
    [
      'a Dockerfile outside the context',
      'build: { context: app, dockerfile: ../Dockerfile }',
      [['steps[1].build.dockerfile', 7, 42, '"../Dockerfile" leaves the context through ".."']],
    ],
    [
      'a Dockerfile that is the context itself',
      'build: { dockerfile: ./ }',
      [['steps[1].build.dockerfile', 7, 28, 'must name a file in the context']],
    ],
    [
      'an unknown build key',
      'build: { context: ., file: Dockerfile }',
      [['steps[1].build.file', 7, 28, 'unknown key "file"; allowed keys are context, dockerfile']],
    ],
    [
      'build as a string',
      'build: .',
      [['steps[1].build', 7, 14, 'must be a mapping with "context" and/or "dockerfile"']],
    ],
  ] as const)('refuses %s, positioned', (_name, line, expected) => {
    expect(errorsOf(withBuildStep(line))).toEqual(expected);
  });

  it('refuses an image or commands on a build step', () => {
    expect(errorsOf(withBuildStep('build: {}', 'image: docker:24', 'commands: [docker build .]'))).toEqual([
      [
        'steps[1].image',
        8,
        7,
        'a step with "build" has no "image": the image is built from build.dockerfile',
      ],
      [
        'steps[1].commands',
        9,
        7,
        'a step with "build" has no "commands": the image is built from build.dockerfile',
      ],
    ]);
  });

  it('refuses deploy on a step that builds no image, whatever its image is called', () => {
    const source = yaml(
      'pipeline:',
      '  steps:',
      ...step('publish', ['deploy: true']).map((l) =>
        l.replace('alpine:3', 'gcr.io/kaniko-project/executor'),
      ),
    );
    expect(errorsOf(source)).toEqual([
      [
        'steps[0].deploy',
        6,
        15,
        'only a step with "build" can be deployed: the image it pushes (with its digest) is what the deployer gets',
      ],
    ]);
    expect(parseDefinition(yaml('pipeline:', '  steps:', ...step('a', ['deploy: false']))).ok).toBe(true);
  });
});
