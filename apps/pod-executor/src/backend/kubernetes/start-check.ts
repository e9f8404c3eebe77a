import { apiProblem, KubeApi } from './kube-api';
import { KubernetesBackendOptions } from './kubernetes.options';
import {
  envSecretManifest,
  RunOwner,
  runOwnerManifest,
  stepPodManifest,
  workspaceClaimManifest,
} from './manifests';
import { sandboxName } from '../local/bwrap-command';

/** A run id no real run has (runs are UUIDs), for the objects the check dry-runs. */
const CHECK_RUN = 'start-check';

/**
 * What stops this executor from running steps in its namespace, in words an operator can act on;
 * empty when nothing does. It lists the pods (the API answers, the credentials work) and then
 * creates, with `dryRun=All`, everything a run creates: the owner ConfigMap, an
 * env Secret, the workspace claim and a step pod of the helper image with the executor's own
 * settings. A dry run passes RBAC, validation and admission (Pod Security, quota, LimitRange)
 * like a real create, and stores nothing.
 */
export async function startProblems(api: KubeApi, options: KubernetesBackendOptions): Promise<string[]> {
  const namespace = options.namespace;
  try {
    await api.core.listNamespacedPod({ namespace, limit: 1 });
  } catch (error) {
    return [explain('list pods', error, namespace)];
  }
  const owner: RunOwner = { runId: CHECK_RUN, uid: '00000000-0000-4000-8000-000000000000' };
  const step = {
    runId: CHECK_RUN,
    repoUrl: '',
    commitSha: '',
    gitRef: '',
    stepId: CHECK_RUN,
    stepName: CHECK_RUN,
    attempt: 1,
    image: options.helperImage,
    commands: ['true'],
    env: { KILN_START_CHECK: '1' },
    timeoutMs: 60_000,
  };
  const podName = sandboxName(CHECK_RUN, CHECK_RUN, 1);
  const creates: [string, () => Promise<unknown>][] = [
    [
      'create configmaps',
      () =>
        api.core.createNamespacedConfigMap({ namespace, body: runOwnerManifest(CHECK_RUN), dryRun: 'All' }),
    ],
    [
      'create secrets',
      () =>
        api.core.createNamespacedSecret({
          namespace,
          body: envSecretManifest(owner, step, podName),
          dryRun: 'All',
        }),
    ],
    [
      'create persistentvolumeclaims',
      () =>
        api.core.createNamespacedPersistentVolumeClaim({
          namespace,
          body: workspaceClaimManifest(owner, options),
          dryRun: 'All',
        }),
    ],
    [
      'create pods',
      () =>
        api.core.createNamespacedPod({
          namespace,
          body: stepPodManifest(step, { owner, podName, checkout: true }, options),
          dryRun: 'All',
        }),
    ],
  ];
  const problems: string[] = [];
  for (const [action, create] of creates) {
    try {
      await create();
    } catch (error) {
      // Without the namespace every create fails alike: once is enough.
      if (apiProblem(error).code === 404) return [explain(action, error, namespace)];
      problems.push(explain(action, error, namespace));
    }
  }
  return problems;
}

/** The API's answer with what to change for the usual causes. */
function explain(action: string, error: unknown, namespace: string): string {
  const { code, message } = apiProblem(error);
  const said = `${action} failed (${code ?? 'no answer'}): ${message}`;
  if (code === undefined)
    return `${said} — is the API server reachable (KILN_KUBECONFIG, in-cluster config)?`;
  if (code === 401) return `${said} — the API server refused the credentials (KILN_KUBECONFIG)`;
  if (code === 404 && /namespaces?\b/.test(message))
    return `${said} — namespace ${namespace} does not exist (KILN_K8S_NAMESPACE; the chart creates it with runs.createNamespace)`;
  if (code === 403 && /cannot \w+ resource/.test(message))
    return `${said} — RBAC: the executor's Role in ${namespace} must grant what apps/pod-executor/src/backend/kubernetes/rbac.yaml lists`;
  if (code === 403 && /quota/i.test(message))
    return `${said} — a ResourceQuota of ${namespace} refuses a step pod`;
  if (code === 403 && /PodSecurity/.test(message))
    return `${said} — the namespace's Pod Security level refuses step pods (KILN_K8S_ALLOW_ROOT, pod-security.kubernetes.io/enforce)`;
  return said;
}
