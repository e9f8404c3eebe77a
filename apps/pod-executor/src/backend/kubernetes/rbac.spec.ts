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

  it('allows every request the backend makes through a whole run, and no read of secrets', async () => {
    const backend = createKubernetesBackend({
      namespace: NAMESPACE,
      kubeConfig: sim.clientConfig(NAMESPACE),
      helperImage: KUBE_HELPER_TEST_IMAGE,
      killGracePeriodSeconds: 1,
      collectDir,
    });
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
    await backend.verify();
    await backend.setupRun(spec('setup', []));
    const done = await backend.startStep(spec('build', ['echo done > out.txt']));
    for await (const line of backend.tailLogs(done)) expect(line.text).toBeDefined();
    await backend.wait(done);
    const killed = await backend.startStep(spec('long', ['sleep 30']));
    await backend.kill(killed, 'cancel');
    for await (const line of backend.tailLogs(killed)) expect(line.text).toBeDefined();
    await backend.wait(killed);
    await backend.workspaceDir(runId, ['out.txt']);
    await backend.reapOrphans(new Date(Date.now() - 60_000), new Set());
    await backend.destroyRun(runId);

    const rules = (documents.find((d) => d.kind === 'Role') as unknown as { rules: Rule[] }).rules;
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
});
