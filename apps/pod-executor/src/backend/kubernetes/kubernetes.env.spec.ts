import { ConfigError, loadEnv } from '@kiln/config';
import { KubernetesEnv, kubernetesOptionsFromEnv } from './kubernetes.env';

describe('KubernetesEnv', () => {
  it('gives working defaults', () => {
    const options = kubernetesOptionsFromEnv(loadEnv([KubernetesEnv], {}), 'exec-1');
    expect(options).toMatchObject({
      namespace: 'kiln-builds',
      workspaceSize: '5Gi',
      accessMode: 'ReadWriteOnce',
      nodeSelector: {},
      tolerations: [],
      executorId: 'exec-1',
    });
    expect(options.kubeconfigPath).toBeUndefined();
  });

  it('parses the JSON node selector and tolerations', () => {
    const env = loadEnv([KubernetesEnv], {
      KILN_K8S_NAMESPACE: 'ci',
      KILN_K8S_NODE_SELECTOR: '{"kiln.dev/builds":"true"}',
      KILN_K8S_TOLERATIONS: '[{"key":"builds","operator":"Exists","effect":"NoSchedule"}]',
      KILN_K8S_ACCESS_MODE: 'ReadWriteMany',
      KILN_K8S_STEP_RUN_AS_USER: '1001',
      KILN_K8S_DEFAULT_CPU: '500m',
      KILN_K8S_DEFAULT_MEMORY: '512Mi',
      KILN_K8S_IMAGE_PULL_SECRETS: 'org-pull, team-pull',
    });
    expect(kubernetesOptionsFromEnv(env)).toMatchObject({
      namespace: 'ci',
      nodeSelector: { 'kiln.dev/builds': 'true' },
      tolerations: [{ key: 'builds', operator: 'Exists', effect: 'NoSchedule' }],
      accessMode: 'ReadWriteMany',
      stepRunAsUser: 1001,
      allowRoot: false,
      defaultResources: { cpu: '500m', memory: '512Mi' },
      imagePullSecrets: ['org-pull', 'team-pull'],
    });
  });

  it('names every bad variable at once', () => {
    let error: ConfigError | undefined;
    try {
      loadEnv([KubernetesEnv], {
        KILN_K8S_NAMESPACE: 'Not_A_Namespace',
        KILN_K8S_WORKSPACE_SIZE: 'big',
        KILN_K8S_ACCESS_MODE: 'ReadOnlyMany',
        KILN_K8S_NODE_SELECTOR: '{"a": 1}',
        KILN_K8S_TOLERATIONS: '[{"key":"x","effect":"Sometimes"}]',
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual([
      expect.stringMatching(/^KILN_K8S_NAMESPACE \("Not_A_Namespace"\): must be a namespace name/),
      expect.stringMatching(/^KILN_K8S_WORKSPACE_SIZE \("big"\): must be a Kubernetes quantity/),
      expect.stringMatching(/^KILN_K8S_ACCESS_MODE/),
      expect.stringMatching(/^KILN_K8S_NODE_SELECTOR .*every node selector value must be a string/),
      expect.stringMatching(
        /^KILN_K8S_TOLERATIONS .*effect must be NoSchedule, PreferNoSchedule or NoExecute/,
      ),
    ]);
  });
});
