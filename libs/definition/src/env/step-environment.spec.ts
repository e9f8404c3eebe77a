import {
  findSecretReferences,
  injectedEnvironment,
  parseDefinition,
  resolveServiceEnvironment,
  resolveStepEnvironment,
} from '../index';
import { yaml } from '../yaml-lines.spec-helper';

const injected = injectedEnvironment({
  projectId: 'p1',
  projectName: 'shop',
  commitSha: 'abc123',
  commitRef: 'refs/heads/main',
  commitBranch: 'main',
  pipelineId: 'run-7',
  stepName: 'ignored',
  registry: 'registry.local:5000',
});

describe('findSecretReferences', () => {
  it('lists each secret once, in order of first use', () => {
    const result = parseDefinition(
      yaml(
        'pipeline:',
        '  steps:',
        '    - name: a',
        '      image: x',
        '      commands: [make]',
        '      environment: { A: "${{ secrets.NPM_TOKEN }}", B: "Bearer ${{secrets.API_KEY}}-${{ secrets.NPM_TOKEN }}" }',
        '    - name: b',
        '      image: x',
        '      commands: [make]',
        '      environment: { C: "${{ secrets.DEPLOY_KEY }}", D: plain }',
        '      services: [{ name: db, image: postgres, environment: { PASSWORD: "${{ secrets.DB_PASSWORD }}" } }]',
      ),
    );
    if (!result.ok) throw new Error(result.errors[0].message);
    expect(findSecretReferences(result.definition)).toEqual([
      'NPM_TOKEN',
      'API_KEY',
      'DEPLOY_KEY',
      'DB_PASSWORD',
    ]);
  });
});

describe('resolveStepEnvironment', () => {
  it('replaces secret references and injected variables, and adds the injected variables', () => {
    const step = {
      name: 'build',
      environment: {
        TOKEN: '${{ secrets.NPM_TOKEN }}',
        AUTH: 'Bearer ${{ secrets.NPM_TOKEN }}',
        IMAGE: '$REGISTRY/${PROJECT}:$COMMIT_SHA',
        WHO: '$STEP_NAME',
      },
    };
    const { env, missingSecrets, usedSecrets, secretVariables } = resolveStepEnvironment(step, injected, {
      NPM_TOKEN: 's3cr3t',
    });
    expect(env).toEqual({
      TOKEN: 's3cr3t',
      AUTH: 'Bearer s3cr3t',
      IMAGE: 'registry.local:5000/shop:abc123',
      WHO: 'build',
      ...injected,
      STEP_NAME: 'build',
    });
    expect(missingSecrets).toEqual([]);
    expect(usedSecrets).toEqual(['NPM_TOKEN']);
    expect(secretVariables).toEqual(['TOKEN', 'AUTH']);
  });

  it('leaves unknown variables for the reader and unescapes $$', () => {
    const step = { name: 'a', environment: { PATHS: '$HOME/bin:${PATH}', PRICE: '$$5 and $$COMMIT_SHA' } };
    const { env } = resolveStepEnvironment(step, injected, {});
    expect(env.PATHS).toBe('$HOME/bin:${PATH}');
    expect(env.PRICE).toBe('$5 and $COMMIT_SHA');
  });

  it('never expands what a secret or variable expanded to', () => {
    const step = { name: 'a', environment: { X: '${{ secrets.TRICKY }}' } };
    const { env } = resolveStepEnvironment(
      step,
      { ...injected, PROJECT: '${{ secrets.OTHER }}' },
      { TRICKY: '$COMMIT_SHA ${{ secrets.OTHER }}', OTHER: 'no' },
    );
    expect(env.X).toBe('$COMMIT_SHA ${{ secrets.OTHER }}');
  });

  it('reports missing secrets and leaves them empty', () => {
    const step = { name: 'a', environment: { A: 'x${{ secrets.GONE }}y', B: '${{ secrets.ALSO_GONE }}' } };
    const result = resolveStepEnvironment(step, injected, { OTHER: 'z' });
    expect(result.env.A).toBe('xy');
    expect(result.missingSecrets).toEqual(['GONE', 'ALSO_GONE']);
  });

  it('lets injected variables win over the step environment', () => {
    const { env } = resolveStepEnvironment(
      { name: 'a', environment: { COMMIT_SHA: 'fake', CI: 'false' } },
      injected,
      {},
    );
    expect(env.COMMIT_SHA).toBe('abc123');
    expect(env.CI).toBe('true');
  });

  it('keeps a variable named __proto__ as an ordinary variable', () => {
    const { env } = resolveStepEnvironment(
      { name: 'a', environment: Object.fromEntries([['__proto__', 'x']]) },
      {},
      {},
    );
    expect(Object.getOwnPropertyDescriptor(env, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
  });
});

describe('resolveServiceEnvironment', () => {
  const injected = { COMMIT_SHA: 'abc123', CI: 'true' };

  it("expands a service's own variables, apart by whether a value holds a secret", () => {
    const service = {
      environment: {
        POSTGRES_USER: 'kiln',
        POSTGRES_PASSWORD: '${{ secrets.DB_PASSWORD }}',
        DSN: 'postgres://kiln:${{secrets.DB_PASSWORD}}@localhost/$COMMIT_SHA',
        LABEL: 'build-${COMMIT_SHA}-$UNKNOWN-$$HOME',
      },
    };
    const result = resolveServiceEnvironment(service, injected, { DB_PASSWORD: 'pg-$CI' });
    expect(result).toEqual({
      plain: { POSTGRES_USER: 'kiln', LABEL: 'build-abc123-$UNKNOWN-$HOME' },
      secret: { POSTGRES_PASSWORD: 'pg-$CI', DSN: 'postgres://kiln:pg-$CI@localhost/abc123' },
      missingSecrets: [],
    });
  });

  it('adds none of the injected variables and reports missing secrets', () => {
    const result = resolveServiceEnvironment({ environment: { A: '${{ secrets.GONE }}' } }, injected, {});
    expect(result).toEqual({ plain: {}, secret: { A: '' }, missingSecrets: ['GONE'] });
  });

  it('keeps a variable named __proto__ as an ordinary variable', () => {
    const { plain } = resolveServiceEnvironment(
      { environment: Object.fromEntries([['__proto__', 'x']]) },
      {},
      {},
    );
    expect(Object.getOwnPropertyDescriptor(plain, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
  });
});
