import { explainDefinition, parseDefinition } from '../index';
import { yaml } from '../yaml-lines.spec-helper';

describe('explainDefinition', () => {
  it('writes a mapped CircleCI file back as a .platform.yaml that parses to the same pipeline', () => {
    const source = yaml(
      'version: 2.1',
      'jobs:',
      '  test:',
      '    docker: [{ image: node:20 }, { image: postgres:16 }]',
      '    resource_class: small',
      '    steps:',
      '      - restore_cache: { keys: [deps-] }',
      '      - run: npm test',
      '      - save_cache: { key: \'deps-{{ checksum "package-lock.json" }}\', paths: [node_modules] }',
      '      - store_artifacts: { path: coverage }',
      '  deploy: { docker: [{ image: alpine:3.20 }], steps: [{ run: ./deploy.sh }] }',
      'workflows:',
      '  main:',
      '    jobs:',
      '      - test',
      '      - deploy: { requires: [test], filters: { branches: { only: main } } }',
    );
    const mapped = parseDefinition(source);
    if (!mapped.ok) throw new Error(mapped.errors.map((e) => e.message).join('\n'));
    const explained = explainDefinition(mapped.definition);
    expect(explained.pipeline).toMatchObject({
      steps: [
        {
          name: 'test',
          image: 'node:20',
          resources: { cpu: '1', memory: '2Gi' },
          cache: [
            {
              key: 'deps-{{ checksum "package-lock.json" }}',
              restore_keys: ['deps-'],
              paths: ['node_modules'],
            },
          ],
          services: [{ name: 'postgres', image: 'postgres:16' }],
        },
        { name: 'deploy', depends_on: ['test'], when: { branch: ['main'], status: ['success'] } },
      ],
      artifacts: [{ name: 'test-coverage', path: 'coverage' }],
      on: { push: { branches: ['**'] } },
    });
    const reparsed = parseDefinition(JSON.stringify(explained));
    expect(reparsed.ok && reparsed.definition).toEqual(mapped.definition);
  });
});
