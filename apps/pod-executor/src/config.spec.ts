import { ConfigError } from '@kiln/config';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubernetesOptionsFromEnv } from './backend/kubernetes';
import { loadConfig as load } from './config';

const loadConfig = (env: NodeJS.ProcessEnv) => load({ KILN_INTERNAL_TOKEN: 'internal-token-of-the-tests', ...env });

describe('executor configuration', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'kiln-executor-config-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to start without the internal token', () => {
    expect(() => load({})).toThrow(/KILN_INTERNAL_TOKEN/);
  });

  it('defaults to the local backend with 4 slots, no sandbox network, a 20 s shutdown grace and a daily orphan age', () => {
    expect(loadConfig({})).toMatchObject({
      KILN_EXECUTOR_BACKEND: 'local',
      KILN_EXECUTOR_CAPACITY: 4,
      KILN_SHUTDOWN_GRACE_SECONDS: 20,
      KILN_SANDBOX_NETWORK: false,
      KILN_ORPHAN_SWEEP_SECONDS: 900,
      KILN_ORPHAN_AGE_SECONDS: 86_400,
    });
  });

  it('takes the kubernetes backend with its KILN_K8S_* settings', () => {
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
    const config = loadConfig({
      KILN_EXECUTOR_BACKEND: 'kubernetes',
      KILN_KUBECONFIG: kubeconfig,
      KILN_K8S_NAMESPACE: 'kiln-runs',
      KILN_K8S_SERVICE_ACCOUNT: 'kiln-step',
      KILN_K8S_STORAGE_CLASS: 'fast-ssd',
      KILN_K8S_WORKSPACE_SIZE: '2Gi',
      KILN_K8S_ACCESS_MODE: 'ReadWriteMany',
      KILN_K8S_NODE_SELECTOR: '{"pool":"ci"}',
      KILN_K8S_TOLERATIONS: '[{"key":"ci","operator":"Exists","effect":"NoSchedule"}]',
      KILN_K8S_HELPER_IMAGE: 'registry.example.com/kiln-helper:1.0.0',
    });
    expect(config.KILN_EXECUTOR_BACKEND).toBe('kubernetes');
    expect(kubernetesOptionsFromEnv(config, 'executor-1')).toMatchObject({
      namespace: 'kiln-runs',
      kubeconfigPath: kubeconfig,
      serviceAccount: 'kiln-step',
      storageClass: 'fast-ssd',
      workspaceSize: '2Gi',
      accessMode: 'ReadWriteMany',
      nodeSelector: { pool: 'ci' },
      tolerations: [{ key: 'ci', operator: 'Exists', effect: 'NoSchedule' }],
      helperImage: 'registry.example.com/kiln-helper:1.0.0',
      executorId: 'executor-1',
    });
  });

  it('treats an empty storage class (as the Helm chart renders it) as the cluster default', () => {
    const config = loadConfig({ KILN_EXECUTOR_BACKEND: 'kubernetes', KILN_K8S_STORAGE_CLASS: '' });
    expect(kubernetesOptionsFromEnv(config).storageClass).toBeUndefined();
  });

  it('names a kubeconfig file that does not exist', () => {
    const missing = join(dir, 'missing.yaml');
    expect(() => loadConfig({ KILN_EXECUTOR_BACKEND: 'kubernetes', KILN_KUBECONFIG: missing })).toThrow(
      new ConfigError([`KILN_KUBECONFIG ("${missing}"): no such file`]),
    );
    expect(() => loadConfig({ KILN_EXECUTOR_BACKEND: 'kubernetes', KILN_KUBECONFIG: dir })).toThrow(
      /KILN_KUBECONFIG \(".*"\): is not a file/,
    );
  });

  it('stops on a bad kubernetes variable by name, whichever backend is chosen', () => {
    expect(() => loadConfig({ KILN_EXECUTOR_BACKEND: 'kubernetes', KILN_K8S_NAMESPACE: 'Builds!' })).toThrow(
      /KILN_K8S_NAMESPACE \("Builds!"\): must be a namespace name/,
    );
    expect(() => loadConfig({ KILN_K8S_NODE_SELECTOR: 'pool=ci' })).toThrow(
      /KILN_K8S_NODE_SELECTOR \("pool=ci"\): must be a JSON object/,
    );
  });

  it('names a bad capacity', () => {
    expect(() => loadConfig({ KILN_EXECUTOR_CAPACITY: '0' })).toThrow(/KILN_EXECUTOR_CAPACITY \("0"\)/);
  });

  it('names an orphan sweep interval that is too short', () => {
    expect(() => loadConfig({ KILN_ORPHAN_SWEEP_SECONDS: '0' })).toThrow(/KILN_ORPHAN_SWEEP_SECONDS \("0"\)/);
  });
});
