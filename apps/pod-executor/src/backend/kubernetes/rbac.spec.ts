import {
  createGitRepo,
  KUBE_HELPER_TEST_IMAGE,
  KUBE_STEP_TEST_IMAGE,
  KubeApiSimulator,
  kubeTestImages,
  startKubeApiSimulator,
  TestGitRepo,
} from '@kiln/testing';
import { loadAll } from 'js-yaml';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StepSpec } from '../backend';
import { createKubernetesBackend } from './index';

const NAMESPACE = 'kiln-builds';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const documents = loadAll(readFileSync(join(__dirname, 'rbac.yaml'), 'utf8')) as {
  kind: string;
  metadata: { namespace: string };
}[];
const rules = (documents.find((d) => d.kind === 'Role') as unknown as { rules: Rule[] }).rules;
const EXECUTOR = 'system:serviceaccount:kiln:kiln-pod-executor';

describe('the RBAC manifest of the kubernetes backend', () => {
  let sim: KubeApiSimulator;
  let repo: TestGitRepo;
  let collectDir: string;

  beforeAll(async () => {
    repo = createGitRepo();
    collectDir = mkdtempSync(join(tmpdir(), 'kiln-k8s-collect-'));
    await kubeTestImages();
    sim = await startKubeApiSimulator({
      namespaces: [NAMESPACE],
      hostReadOnlyPaths: [repo.dir],
      maxGraceMs: 500,
    });
  });

  afterAll(async () => {
    await sim?.stop();
    repo?.remove();
    rmSync(collectDir, { recursive: true, force: true });
  });

  it('holds a service account, a namespaced Role and its binding, all valid against the official schemas', () => {
    const models: Record<string, new (data: never) => { validate(): void }> = {
      ServiceAccount,
      Role,
      RoleBinding,
    };
    expect(documents.map((d) => d.kind)).toEqual(['ServiceAccount', 'ServiceAccount', 'Role', 'RoleBinding']);
    for (const document of documents)
      expect(() => new models[document.kind](document as never).validate()).not.toThrow();
    expect(
      documents.filter((d) => d.kind !== 'ServiceAccount').every((d) => d.metadata.namespace === NAMESPACE),
    ).toBe(true);
  });

  const backend = () =>
    createKubernetesBackend({
      namespace: NAMESPACE,
      kubeConfig: sim.clientConfig(NAMESPACE),
      helperImage: KUBE_HELPER_TEST_IMAGE,
      killGracePeriodSeconds: 1,
      collectDir,
    });

  it('allows every request the backend makes through a whole run, and no read of secrets', async () => {
    // The simulator enforces the Role: a request it does not grant fails the run here.
    sim.rbac = { user: EXECUTOR, namespaces: [NAMESPACE], rules };
    const b = backend();
    const runId = randomUUID();
    const sha = repo.commit({ 'a.txt': 'a\n' });
    const spec = (name: string, commands: string[]): StepSpec => ({
      runId,
      repoUrl: repo.url,
      commitSha: sha,
      gitRef: '',
      stepId: randomUUID(),
      stepName: name,
      attempt: 1,
      image: KUBE_STEP_TEST_IMAGE,
      commands,
      env: { TOKEN: 'secret' },
      timeoutMs: 60_000,
    });
    await b.verify();
    await b.setupRun(spec('setup', []));
    const done = await b.startStep(spec('build', ['echo done > out.txt']));
    for await (const line of b.tailLogs(done)) expect(line.text).toBeDefined();
    expect(await b.wait(done)).toEqual({ exitCode: 0 });
    const killed = await b.startStep(spec('long', ['sleep 30']));
    await b.kill(killed, 'cancel');
    for await (const line of b.tailLogs(killed)) expect(line.text).toBeDefined();
    await b.wait(killed);
    expect(await b.workspaceDir(runId, ['out.txt'])).not.toBeNull();
    await b.reapOrphans(new Date(Date.now() - 60_000), new Set());
    await b.destroyRun(runId);
    sim.rbac = undefined;

    const allowed = (verb: string, resource: string) =>
      rules.some((r) => r.apiGroups.includes('') && r.resources.includes(resource) && r.verbs.includes(verb));
    const used = [...new Set(sim.requests.map((r) => `${r.verb} ${r.resource} in ${r.namespace}`))].sort();
    expect(used.filter((u) => !u.endsWith(`in ${NAMESPACE}`))).toEqual([]);
    expect(used.filter((u) => !allowed(u.split(' ')[0], u.split(' ')[1]))).toEqual([]);
    expect(used).toEqual(
      expect.arrayContaining([
        `watch pods in ${NAMESPACE}`,
        `get pods/log in ${NAMESPACE}`,
        `get pods/exec in ${NAMESPACE}`,
      ]),
    );
    expect(allowed('get', 'secrets') || allowed('list', 'secrets') || allowed('watch', 'secrets')).toBe(
      false,
    );
  });

  it.each([
    ['pods', 'create pods failed (403): pods is forbidden'],
    [
      'persistentvolumeclaims',
      'create persistentvolumeclaims failed (403): persistentvolumeclaims is forbidden',
    ],
  ])('refuses to start when the Role does not let it create %s, saying so', async (resource, said) => {
    const without = rules.map((r) =>
      r.resources.includes(resource) ? { ...r, verbs: r.verbs.filter((v) => v !== 'create') } : r,
    );
    sim.rbac = { user: EXECUTOR, namespaces: [NAMESPACE], rules: without };
    const before = sim.list(resource as 'pods', NAMESPACE).length;
    try {
      const error = (await backend()
        .verify()
        .catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toContain(
        `the kubernetes backend cannot run steps in namespace ${NAMESPACE}: ${said}`,
      );
      expect(error.message).toContain(
        `User "${EXECUTOR}" cannot create resource "${resource}" in API group "" in the namespace "${NAMESPACE}" — RBAC: the executor's Role in ${NAMESPACE} must grant`,
      );
    } finally {
      sim.rbac = undefined;
    }
    expect(sim.list(resource as 'pods', NAMESPACE)).toHaveLength(before);
  });

  it('dry-runs a whole run at start and leaves nothing behind', async () => {
    const before = sim.requests.length;
    await backend().verify();
    const asked = sim.requests.slice(before).map((r) => `${r.verb} ${r.resource}`);
    expect(asked).toEqual([
      'list pods',
      'create configmaps',
      'create secrets',
      'create persistentvolumeclaims',
      'create pods',
    ]);
    for (const resource of ['pods', 'secrets', 'persistentvolumeclaims', 'configmaps'] as const)
      expect(sim.list(resource, NAMESPACE, 'kiln.dev/run=start-check')).toEqual([]);
  });
});
