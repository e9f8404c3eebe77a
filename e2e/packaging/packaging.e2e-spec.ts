/* Packaging: the Dockerfile, docker-compose.yml, the kustomize manifests and the Helm chart's
   values and structure (helm-chart.e2e-spec.ts renders it with a real helm). No Kubernetes API
   server exists here, so what can run does: `docker-compose config`, `kubectl kustomize`, the
   official Kubernetes schemas, the chart's values schema, and cross-checks against what the
   apps' config.ts files actually read. */
import Ajv from 'ajv';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { allVariables, APP_NAMES, AppName, appEnv, APPS, PLANNED_VARIABLES } from './env-vars';
import {
  blockProblems,
  declaredKinds,
  includeProblems,
  literalDataKeys,
  templateFiles,
  valuesPathProblems,
} from './helm-checks';
import { K8sObject, modelModule, schemaProblems, unknownFieldProblems } from './k8s-schema';
import { k8sTool } from './k8s-tools';
import {
  containerEnv,
  duplicateProblems,
  podTemplate,
  referenceProblems,
  selectorProblems,
} from './manifest-checks';
import { dockerfile, dockerIgnored, kustomizations, requireTool, ROOT, run } from './tools';

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const known = new Set([...allVariables(ROOT), ...PLANNED_VARIABLES]);
const SECRET_KEY = 'a'.repeat(64);
const INTERNAL_TOKEN = 'b'.repeat(48);
/** What docker-compose.yml requires to be set, each refused by name when missing. */
const COMPOSE_ENV: Record<string, string> = {
  KILN_SECRET_KEY: SECRET_KEY,
  KILN_INTERNAL_TOKEN: INTERNAL_TOKEN,
  KILN_EXECUTOR_KEY: 'c'.repeat(64),
  ...Object.fromEntries(
    ['GATEWAY', 'WEBHOOK_RECEIVER', 'SCHEDULER', 'POD_EXECUTOR', 'LOG_ARCHIVER'].map((app) => [
      `KILN_NATS_${app}_PASSWORD`,
      `${app.toLowerCase()}-password`,
    ]),
  ),
};

/**
 * kustomize v5 wraps long base64 values over several lines; the API server's decoder skips the
 * newlines, the schema's "byte" format does not.
 */
function unwrapSecretData(o: K8sObject): K8sObject {
  if (o.kind !== 'Secret' || !o.data) return o;
  const data = Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s+/g, '')]);
  return { ...o, data: Object.fromEntries(data) };
}

/** Variables an app cannot start without, given the storage driver its environment selects. */
function requiredFor(app: AppName, env: Map<string, string | undefined>): string[] {
  const { required, usesStorage } = appEnv(ROOT, app);
  const s3 = usesStorage && env.get('KILN_STORAGE_DRIVER') === 's3';
  return [...required, ...(s3 ? ['KILN_S3_ENDPOINT', 'KILN_S3_ACCESS_KEY', 'KILN_S3_SECRET_KEY'] : [])];
}

describe('Dockerfile', () => {
  const { args, stages } = dockerfile();
  const stage = (name: string) => stages.find((s) => s.name === name);
  // A stage's instructions, its parents' included (FROM <stage>).
  const chain = (name: string): string[] => {
    const s = stage(name);
    return s ? [...chain(s.from), ...s.lines] : [];
  };
  const baseImage = (name: string): string => {
    const s = stage(name);
    return s ? baseImage(s.from) : name.replace(/^\$\{(\w+)\}$/, (_, arg: string) => args[arg] ?? arg);
  };

  it.each(APP_NAMES)('has a non-root %s target on node:20-slim that starts the app', (app) => {
    expect(stage(app)).toBeDefined();
    expect(baseImage(app)).toBe('node:20-slim');
    const lines = chain(app);
    const user = lines.filter((l) => /^USER\s/.test(l)).at(-1);
    expect(user).toMatch(/^USER\s+[1-9]\d*(:[1-9]\d*)?$/);
    expect(lines).toContain(`EXPOSE ${APPS[app]}`);
    const cmd = lines.filter((l) => /^CMD\s/.test(l)).at(-1) ?? '';
    expect(cmd).toContain(`dist/apps/${app}/src/main.js`);
    expect(existsSync(join(ROOT, 'apps', app, 'src/main.ts'))).toBe(true);
  });

  it('builds the web UI and ships it where the gateway looks for it', () => {
    const all = stages.flatMap((s) => s.lines).join('\n');
    expect(all).toContain('vite build --config apps/web/vite.config.mts');
    expect(all).toMatch(/COPY --from=build \/src\/apps\/web\/dist \/app\/apps\/web\/dist/);
    expect(read('apps/gateway/src/web-ui.ts')).toContain("resolve('apps/web/dist')");
  });

  it('gives git to the apps that run it and bubblewrap to the executor', () => {
    expect(chain('scheduler').join('\n')).toMatch(/apt-get install[^\n]*\bgit\b/);
    expect(chain('pod-executor').join('\n')).toMatch(/apt-get install[^\n]*\bgit\b/);
    expect(chain('pod-executor').join('\n')).toMatch(/apt-get install[^\n]*\bbubblewrap\b/);
  });

  it('builds a non-root kiln-helper image of Debian slim and git, first in the file', () => {
    expect(baseImage('helper')).toBe('debian:bookworm-slim');
    const lines = chain('helper').join('\n');
    expect(lines).toMatch(/apt-get install[^\n]*--no-install-recommends[^\n]*\bgit\b/);
    expect(lines).toMatch(/USER\s+[1-9]/);
    // The legacy builder builds every stage before the target: `--target helper` builds only it.
    expect(stages[0].name).toBe('helper');
  });

  it('installs with the lockfile, gives each app only its traced files and uses setup.sh’s pnpm', () => {
    const all = stages.flatMap((s) => s.lines).join('\n');
    expect(all).toMatch(/pnpm install --frozen-lockfile\n/);
    const pnpm = read('scripts/setup.sh').match(/PNPM_VERSION=(\S+)/)?.[1];
    expect(args.PNPM_VERSION).toBe(pnpm);
    // scripts/app-files.js writes /out/<app>: the node_modules files the app loads, never the build's node_modules.
    expect(all).toMatch(/node scripts\/app-files\.js \/out gateway webhook-receiver scheduler pod-executor log-archiver artifact-service/);
    for (const app of APP_NAMES) expect(chain(app)).toContain(`COPY --from=build /out/${app} /app`);
    expect(all).not.toMatch(/COPY --from=build \S*node_modules/);
  });

  it('copies what the build reads, and .dockerignore keeps it in the context', () => {
    const sources = stages.flatMap((s) =>
      s.lines
        .filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
        .flatMap((l) =>
          l
            .replace(/^COPY\s+(--\S+\s+)*/, '')
            .split(/\s+/)
            .slice(0, -1),
        ),
    );
    // build.js reads tsconfig.base.json; Prisma's generator reads tsconfig.json (import style),
    // prisma.config.ts and the schema; prisma-generate.sh uses the stub engine.
    for (const needed of [
      'tsconfig.json',
      'tsconfig.base.json',
      'prisma.config.ts',
      'prisma',
      'tools/prisma-stub-engine.sh',
      'scripts/build.js',
      'scripts/prisma-generate.sh',
      'scripts/app-files.js',
      'libs',
      'apps',
      'pnpm-lock.yaml',
    ]) {
      expect(sources).toContain(needed);
    }
    for (const source of sources) {
      expect({ source, exists: existsSync(join(ROOT, source)), ignored: dockerIgnored(source) }).toEqual({
        source,
        exists: true,
        ignored: false,
      });
    }
    expect(dockerIgnored('node_modules')).toBe(true);
    expect(dockerIgnored('tools/prisma-diff/node_modules')).toBe(true);
    expect(dockerIgnored('dist')).toBe(true);
  });

  it('leaves the test harnesses and spec files out of the images', () => {
    for (const path of [
      'libs/testing',
      'libs/db/src/scratch-database.spec-helper.ts',
      'apps/gateway/src/main.spec.ts',
    ]) {
      expect({ path, ignored: dockerIgnored(path) }).toEqual({ path, ignored: true });
    }
    expect(dockerIgnored('libs/launcher')).toBe(false);
  });
});

describe('docker-compose.yml', () => {
  let compose: { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };
  interface ComposeService {
    image?: string;
    build?: { target?: string };
    command?: string[] | string;
    environment?: Record<string, string | null>;
    depends_on?: Record<string, { condition: string }>;
    healthcheck?: { test: string[] };
    privileged?: boolean;
    cap_add?: string[];
    volumes?: unknown[];
  }

  beforeAll(() => {
    requireTool('docker-compose', 'docker-compose');
    const r = run('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
      env: { ...process.env, ...COMPOSE_ENV },
    });
    if (r.status !== 0) throw new Error(`docker-compose config failed:\n${r.stderr}`);
    compose = yaml.load(r.stdout) as typeof compose;
  });

  it.each(Object.keys(COMPOSE_ENV))('refuses to start without %s, naming it', (name) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...COMPOSE_ENV };
    delete env[name];
    const r = run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { env });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(name);
  });

  it('runs PostgreSQL, NATS with JetStream on a volume, MinIO with its bucket, and the migration', () => {
    const s = compose.services;
    for (const name of ['postgres', 'nats', 'minio', 'minio-init', 'migrate'])
      expect(Object.keys(s)).toContain(name);
    const nats = [s.nats.command].flat().join(' ');
    expect(nats).toMatch(/-js\b/);
    expect(nats).toMatch(/-sd \/data/);
    expect(JSON.stringify(s.nats.volumes)).toContain('/data');
    expect([s['minio-init'].command].flat().join(' ')).toMatch(/mc mb --ignore-existing/);
    expect(s['minio-init'].depends_on?.minio.condition).toBe('service_healthy');
    expect([s.migrate.command].flat().join(' ')).toContain('.migrate(process.env.DATABASE_URL)');
    expect(s.migrate.depends_on?.postgres.condition).toBe('service_healthy');
    for (const name of ['postgres', 'nats', 'minio'])
      expect(s[name].healthcheck?.test.length).toBeGreaterThan(0);
  });

  it.each(APP_NAMES)(
    'runs %s from its Dockerfile target with a readiness health check and healthy dependencies',
    (app) => {
      const service = compose.services[app];
      expect(service).toBeDefined();
      expect(service.build?.target).toBe(app);
      expect(dockerfile().stages.map((s) => s.name)).toContain(app);
      expect(service.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${APPS[app]}/readyz`);
      const deps = Object.entries(service.depends_on ?? {});
      expect(deps.length).toBeGreaterThan(0);
      for (const [dep, { condition }] of deps) {
        expect({ dep, condition }).toEqual({
          dep,
          condition: ['migrate', 'minio-init'].includes(dep)
            ? 'service_completed_successfully'
            : 'service_healthy',
        });
      }
      const env = new Map(Object.entries(service.environment ?? {}).map(([k, v]) => [k, v ?? undefined]));
      if (appEnv(ROOT, app).variables.has('DATABASE_URL'))
        expect(Object.keys(service.depends_on ?? {})).toContain('migrate');
      for (const name of requiredFor(app, env))
        expect({ app, name, set: !!env.get(name) }).toEqual({ app, name, set: true });
      for (const name of env.keys())
        expect({ app, name, known: known.has(name) }).toEqual({ app, name, known: true });
    },
  );

  it('runs NATS with the users file and gives each app its own NATS user', () => {
    const s = compose.services;
    expect([s.nats.command].flat().join(' ')).toContain('-c /etc/nats/nats-users.conf');
    expect(JSON.stringify(s.nats.volumes)).toContain('k8s/helm/kiln/files/nats-users.conf');
    for (const app of APP_NAMES.filter((a) => a !== 'artifact-service')) {
      const password = `KILN_NATS_${app.toUpperCase().replace(/-/g, '_')}_PASSWORD`;
      expect(s[app].environment?.KILN_NATS_USER).toBe(app);
      expect(s[app].environment?.KILN_NATS_PASSWORD).toBe(COMPOSE_ENV[password]);
      expect(s.nats.environment?.[password]).toBe(COMPOSE_ENV[password]);
    }
  });

  it('runs the executor on the docker backend through the host engine, unprivileged, steps without egress', () => {
    const executor = compose.services['pod-executor'];
    expect(executor.environment?.KILN_EXECUTOR_BACKEND).toBe('docker');
    expect(executor.environment?.KILN_DOCKER_EGRESS).toBe('none');
    expect(executor.privileged).toBeFalsy();
    expect(JSON.stringify(executor.volumes)).toContain('/var/run/docker.sock');
  });
});

describe.each(kustomizations().map((dir) => [dir.slice(ROOT.length + 1), dir]))(
  'kustomize %s',
  (name, dir) => {
    let objects: K8sObject[];
    const kubectl = process.env.KUBECTL ?? 'kubectl';
    const isBase = name === 'k8s/base';

    beforeAll(() => {
      requireTool(kubectl, 'kubernetes-client');
      const r = run(kubectl, ['kustomize', dir]);
      if (r.status !== 0) throw new Error(`kubectl kustomize ${name} failed:\n${r.stderr}`);
      objects = (yaml.loadAll(r.stdout) as K8sObject[]).filter(Boolean);
    });

    it('lists every manifest of its directory', () => {
      const kustomization = yaml.load(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Record<
        string,
        unknown
      >;
      const referenced = new Set<string>([
        ...((kustomization.resources as string[]) ?? []),
        ...((kustomization.patchesStrategicMerge as string[]) ?? []),
        ...((kustomization.patchesJson6902 as { path: string }[]) ?? []).map((p) => p.path),
      ]);
      const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
      expect(files.filter((f) => !referenced.has(f))).toEqual([]);
      // Old kustomize (kubectl 1.20) takes neither `labels`, `patches` nor directories as resources.
      for (const key of ['labels', 'patches', 'components']) expect(kustomization[key]).toBeUndefined();
      for (const resource of (kustomization.resources as string[]) ?? [])
        expect(resource).toMatch(/\.ya?ml$/);
    });

    it('renders objects that validate against the official Kubernetes schemas', () => {
      expect(objects.length).toBeGreaterThan(10);
      expect(objects.map(unwrapSecretData).flatMap(schemaProblems)).toEqual([]);
    });

    it('renders the same objects with kubectl 1.30 (kustomize v5) as with the old kubectl', () => {
      const r = run(k8sTool('kubectl'), ['kustomize', dir]);
      expect(r.status).toBe(0);
      const normal = (list: K8sObject[]) => list.map((o) => JSON.stringify(unwrapSecretData(o))).sort();
      expect(normal((yaml.loadAll(r.stdout) as K8sObject[]).filter(Boolean))).toEqual(normal(objects));
    });

    it('renders no field the Kubernetes API does not define', () => {
      expect(unknownFieldProblems(objects)).toEqual([]);
    });

    it('has selectors that select and references that resolve', () => {
      expect(duplicateProblems(objects)).toEqual([]);
      expect(selectorProblems(objects)).toEqual([]);
      // The base leaves the Secret to the operator; an overlay must bring it.
      expect(referenceProblems(objects, isBase ? ['kiln-secrets'] : [])).toEqual([]);
    });

    it.each(APP_NAMES)(
      'runs %s with probes, a Service, a PDB, a locked-down pod and the settings it needs',
      (app) => {
        const byComponent = (kind: string) =>
          objects.filter(
            (o) => o.kind === kind && o.metadata.labels?.['app.kubernetes.io/component'] === app,
          );
        const [deployment] = byComponent('Deployment');
        expect(deployment).toBeDefined();
        expect(byComponent('Service')).toHaveLength(1);
        expect(byComponent('PodDisruptionBudget')).toHaveLength(1);
        const pod = podTemplate(deployment)!;
        const [container] = pod.spec.containers;
        expect(container.ports).toEqual([
          expect.objectContaining({ name: 'http', containerPort: APPS[app] }),
        ]);
        expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
        expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
        expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true });
        expect(container.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
        });
        const env = containerEnv(objects, deployment, container);
        for (const name of requiredFor(app, env))
          expect({ app, name, set: env.has(name) }).toEqual({ app, name, set: true });
        for (const name of env.keys())
          expect({ app, name, known: known.has(name) }).toEqual({ app, name, known: true });
        expect(
          env.get(
            `KILN_${{ gateway: 'GATEWAY', 'webhook-receiver': 'WEBHOOK', scheduler: 'SCHEDULER', 'pod-executor': 'EXECUTOR', 'log-archiver': 'ARCHIVER', 'artifact-service': 'ARTIFACT' }[app]}_PORT`,
          ),
        ).toBe(String(APPS[app]));
      },
    );

    it('lets the executor manage step pods in the runs namespace only, and nothing more', () => {
      const executor = objects.find(
        (o) =>
          o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === 'pod-executor',
      )!;
      const pod = podTemplate(executor)!;
      const env = containerEnv(objects, executor, pod.spec.containers[0]);
      expect(env.get('KILN_EXECUTOR_BACKEND')).toBe('kubernetes');
      const runs = env.get('KILN_K8S_NAMESPACE')!;
      expect(runs).not.toBe(executor.metadata.namespace);
      const bindings = objects.filter(
        (o) =>
          o.kind === 'RoleBinding' &&
          (o.subjects as { name: string }[]).some((s) => s.name === pod.spec.serviceAccountName),
      );
      expect(bindings.map((b) => b.metadata.namespace)).toEqual([runs]);
      expect(objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'ClusterRole')).toEqual([]);
      const role = objects.find(
        (o) => o.kind === 'Role' && o.metadata.name === (bindings[0].roleRef as { name: string }).name,
      )!;
      const grantsOf = (o: K8sObject) =>
        (o.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]).flatMap((r) =>
          r.resources.flatMap((res) => r.verbs.map((v) => `${r.apiGroups.join(',')}/${res}:${v}`)),
        );
      // Exactly the backend's own RBAC manifest, which a backend test checks against every request it makes.
      const backendRole = (
        yaml.loadAll(read('apps/pod-executor/src/backend/kubernetes/rbac.yaml')) as K8sObject[]
      ).find((o) => o?.kind === 'Role')!;
      expect(grantsOf(role).sort()).toEqual(grantsOf(backendRole).sort());
      const stepAccount = objects.find(
        (o) =>
          o.kind === 'ServiceAccount' &&
          o.metadata.namespace === runs &&
          o.metadata.name === env.get('KILN_K8S_SERVICE_ACCOUNT'),
      );
      expect(stepAccount?.automountServiceAccountToken).toBe(false);
      const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === runs)!;
      expect(JSON.stringify(policy.spec)).toContain('"key":"kiln.dev/run","operator":"Exists"');
      expect((policy.spec as { policyTypes: string[] }).policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    });

    it('exposes the gateway and the webhook receiver through Ingresses', () => {
      const backends = objects
        .filter((o) => o.kind === 'Ingress')
        .flatMap((o) => JSON.stringify(o.spec).match(/"service":\{"name":"[^"]+"/g) ?? []);
      expect(backends.some((b) => b.includes('gateway'))).toBe(true);
      expect(backends.some((b) => b.includes('webhook-receiver'))).toBe(true);
    });
  },
);

describe('Helm chart k8s/helm/kiln: values and template structure', () => {
  const chartDir = join(ROOT, 'k8s/helm/kiln');
  const files = templateFiles(chartDir);
  const values = yaml.load(read('k8s/helm/kiln/values.yaml')) as Record<string, unknown>;
  const schema = JSON.parse(read('k8s/helm/kiln/values.schema.json')) as object;
  const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

  it('has a valid Chart.yaml', () => {
    const chart = yaml.load(read('k8s/helm/kiln/Chart.yaml')) as Record<string, unknown>;
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'kiln', type: 'application' });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
    expect(typeof chart.appVersion).toBe('string');
    expect(chart.kubeVersion).toMatch(/^>=\s*1\.\d+/);
  });

  it('has values.yaml that validate against values.schema.json', () => {
    expect(validate(values) ? [] : validate.errors).toEqual([]);
  });

  it('has a schema that rejects misspelt keys and malformed settings', () => {
    const typo = yaml.load(read('k8s/helm/kiln/values.yaml')) as {
      apps: Record<string, unknown>;
      security: Record<string, unknown>;
    };
    typo.apps.gatway = typo.apps.gateway;
    expect(validate(typo)).toBe(false);
    const bad = yaml.load(read('k8s/helm/kiln/values.yaml')) as { security: Record<string, unknown> };
    bad.security.secretKey = 'not-32-bytes';
    expect(validate(bad)).toBe(false);
  });

  it('has templates whose blocks balance, includes resolve and .Values paths exist', () => {
    expect(files.flatMap(blockProblems)).toEqual([]);
    expect(includeProblems(files)).toEqual([]);
    expect(valuesPathProblems(files, values)).toEqual([]);
  });

  it('declares only kinds with an official schema, covering what the issue asks for', () => {
    const kinds = files.flatMap(declaredKinds);
    expect(kinds.filter((k) => !modelModule(k.apiVersion, k.kind))).toEqual([]);
    const names = new Set(kinds.map((k) => k.kind));
    for (const kind of [
      'Deployment',
      'Service',
      'PodDisruptionBudget',
      'Job',
      'ConfigMap',
      'Secret',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'Ingress',
      'NetworkPolicy',
      'StatefulSet',
    ]) {
      expect(names).toContain(kind);
    }
    expect(existsSync(join(chartDir, 'templates/NOTES.txt'))).toBe(true);
  });

  it('has values for exactly the six apps, with their ports in the templates', () => {
    expect(Object.keys(values.apps as object).sort()).toEqual([...APP_NAMES].sort());
    const helpers = files.find((f) => f.path === 'templates/_helpers.tpl')!.text;
    for (const app of APP_NAMES) expect(helpers).toContain(`"${app}" "${APPS[app]}"`);
    const portVars = [...helpers.matchAll(/"(KILN_[A-Z]+_PORT)"/g)].map((m) => m[1]);
    expect(portVars).toHaveLength(APP_NAMES.length);
    expect(portVars.filter((v) => !known.has(v))).toEqual([]);
  });

  it('runs the migration as a pre-install/pre-upgrade hook', () => {
    const job = files.find((f) => f.path === 'templates/migration-job.yaml')!.text;
    expect(job).toMatch(/helm\.sh\/hook: \{\{ \$hook \}\}/);
    expect(files.find((f) => f.path === 'templates/_helpers.tpl')!.text).toContain('pre-install,pre-upgrade');
    expect(job).toContain('.migrate(process.env.DATABASE_URL)');
  });

  it('configures the same variables as the kustomize base, all of them read by an app', () => {
    const chartKeys = [
      ...new Set(literalDataKeys(files.find((f) => f.path === 'templates/configmap.yaml')!)),
    ].sort();
    const base = (yaml.loadAll(read('k8s/base/config.yaml')) as K8sObject[]).find(
      (o) => o?.kind === 'ConfigMap',
    )!;
    expect(chartKeys).toEqual(Object.keys(base.data as object).sort());
    expect(chartKeys.filter((k) => !known.has(k))).toEqual([]);
    // Variables set one by one in the apps' Deployments (the bundled servers' own aside).
    const deployments = files.find((f) => f.path === 'templates/deployments.yaml')!.text;
    const envNames = [...deployments.matchAll(/- name: ([A-Z][A-Z0-9_]+)$/gm)].map((m) => m[1]);
    expect(envNames.length).toBeGreaterThan(5);
    expect(envNames.filter((k) => !known.has(k))).toEqual([]);
  });
});

describe('docs/operations.md', () => {
  let doc = '';
  beforeAll(() => {
    doc = read('docs/operations.md');
  });

  it('documents every environment variable the apps read', () => {
    const missing = [...known].filter((name) => !doc.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('documents every metric the apps export', () => {
    const metrics = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, e.name);
        if (e.isDirectory() && !['node_modules', 'generated', 'testing'].includes(e.name)) walk(full);
        else if (e.name.endsWith('.ts') && !/spec/.test(e.name)) {
          const text = readFileSync(full, 'utf8');
          if (text.includes("'prom-client'"))
            for (const m of text.matchAll(/['"](kiln_[a-z0-9_]+)['"]/g)) metrics.add(m[1]);
        }
      }
    };
    walk(join(ROOT, 'apps'));
    walk(join(ROOT, 'libs'));
    expect(metrics.size).toBeGreaterThan(0);
    expect([...metrics].filter((m) => !doc.includes(m))).toEqual([]);
  });

  it('says what rendered the chart, and honestly that no real cluster ran it', () => {
    expect(doc).toMatch(/real helm v?3\.17/);
    expect(doc).toMatch(/not installed on a real cluster/i);
  });
});
